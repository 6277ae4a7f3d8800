/* curl_multi_post.c — the libcurl ceiling for bench/webhook.sh: POSTs BODY_FILE to URL TOTAL times with
 * CONCURRENCY transfers in flight, from one thread, over one multi handle (connections reused),
 * in the loop shape cdcd's webhook sink uses (curl_multi_perform + curl_multi_poll, easy handles
 * re-added as they finish). No signing, no JSON, no database: what libcurl alone costs per request.
 *
 *   cc -O2 -o curl_multi_post curl_multi_post.c -lcurl
 *   curl_multi_post URL BODY_FILE TOTAL CONCURRENCY     prints: requests/s
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t discard(char *p, size_t size, size_t n, void *u) { (void)p; (void)u; return size * n; }

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: %s URL BODY_FILE TOTAL CONCURRENCY\n", argv[0]); return 2; }
  const char *url = argv[1];
  long total = atol(argv[3]), concurrency = atol(argv[4]);
  FILE *f = fopen(argv[2], "rb");
  if (!f) { perror(argv[2]); return 2; }
  static char body[1 << 16];
  size_t length = fread(body, 1, sizeof body, f);
  fclose(f);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM *multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, concurrency);
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "webhook-id: 0000000003A0F2B8-000417");
  headers = curl_slist_append(headers, "webhook-timestamp: 1795865400");
  headers = curl_slist_append(headers, "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  long started = 0, done = 0, failed = 0;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < concurrency && started < total; i++, started++) {
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
    curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
    curl_multi_add_handle(multi, easy);
  }
  while (done < total) {
    int running, left;
    curl_multi_perform(multi, &running);
    CURLMsg *message;
    while ((message = curl_multi_info_read(multi, &left))) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL *easy = message->easy_handle;
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      if (message->data.result != CURLE_OK || status / 100 != 2) failed++;
      curl_multi_remove_handle(multi, easy);
      done++;
      if (started < total) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);
        curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
        curl_multi_add_handle(multi, easy);
        started++;
      }
    }
    curl_multi_poll(multi, NULL, 0, 1000, NULL);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  if (failed) { fprintf(stderr, "%ld of %ld requests failed\n", failed, total); return 1; }
  printf("%.0f\n", (double)total / seconds);
  return 0;
}

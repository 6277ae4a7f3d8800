/* curl_multi_variants.c — libcurl configurations for POSTing small bodies, to find libcurl's per-request
 * ceiling on this machine (bench/webhook.sh's libcurl row uses the default shape of
 * curl_multi_post.c; this program tries the alternatives next to it). One thread, one multi handle,
 * CONCURRENCY transfers in flight, easy handles reused, TOTAL requests, prints requests/s and the
 * process's CPU microseconds per request.
 *
 *   cc -O2 -o curl_multi_variants curl_multi_variants.c -lcurl
 *   curl_multi_variants URL BODY_FILE TOTAL CONCURRENCY [options]
 *
 * Options:
 *   --socket          drive the multi handle with curl_multi_socket_action + epoll (instead of
 *                     curl_multi_perform + curl_multi_poll, which walk every transfer on each wake-up)
 *   --h2              HTTP/2 with prior knowledge (h2c) and multiplexing (CURLPIPE_MULTIPLEX)
 *   --h2tls FILE      HTTP/2 over TLS (https:// URL, ALPN), multiplexed, the receiver's certificate
 *                     checked against the CA file FILE
 *   --conns N         with --h2: at most N connections (CURLMOPT_MAX_HOST_CONNECTIONS; default 1)
 *   --streams N       with --h2: at most N streams per connection (CURLMOPT_MAX_CONCURRENT_STREAMS, 7.67+)
 *   --sign            per-request header list with a fresh webhook-id/-timestamp/-signature (as cdcd
 *                     builds one per request), body set with POSTFIELDS (no copy) — the realistic shape
 *   --bufsize N       CURLOPT_BUFFERSIZE (receive buffer; default 16 KiB in 7.88)
 *   --fresh           a new easy handle per request (curl_easy_duphandle of a template) instead of
 *                     reusing the finished one (libcurl 7.88 fails every HTTP/2 request after the first on
 *                     a reused easy handle: "Error in the HTTP2 framing layer")
 *   --minimal         set only URL, POSTFIELDS(+SIZE) and HTTPHEADER per request on a handle set up
 *                     once (the default re-sets POSTFIELDSIZE and COPYPOSTFIELDS, as curl_multi_post.c)
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

static size_t discard(char *p, size_t size, size_t n, void *u) { (void)p; (void)u; return size * n; }

static int epfd = -1;
static long timeout_ms = -1;

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
  (void)easy; (void)userp;
  struct epoll_event ev = {0};
  ev.data.fd = s;
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, s, NULL);
    return 0;
  }
  ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT) epoll_ctl(epfd, EPOLL_CTL_ADD, s, &ev);
  (void)socketp;
  return 0;
}

static int on_timer(CURLM *multi, long ms, void *userp) { (void)multi; (void)userp; timeout_ms = ms; return 0; }

static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

struct slot {
  CURL *easy;
  struct curl_slist *headers;
  char id[64], ts[64], sig[96];
};

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: %s URL BODY_FILE TOTAL CONCURRENCY [options]\n", argv[0]); return 2; }
  const char *url = argv[1];
  long total = atol(argv[3]), concurrency = atol(argv[4]);
  int use_socket = 0, h2 = 0, sign = 0, minimal = 0, fresh = 0;
  long conns = 1, streams = 0, bufsize = 0;
  const char *cafile = NULL;
  for (int i = 5; i < argc; i++) {
    if (!strcmp(argv[i], "--socket")) use_socket = 1;
    else if (!strcmp(argv[i], "--h2")) h2 = 1;
    else if (!strcmp(argv[i], "--h2tls") && i + 1 < argc) { h2 = 2; cafile = argv[++i]; }
    else if (!strcmp(argv[i], "--sign")) sign = 1;
    else if (!strcmp(argv[i], "--minimal")) minimal = 1;
    else if (!strcmp(argv[i], "--fresh")) fresh = 1;
    else if (!strcmp(argv[i], "--conns") && i + 1 < argc) conns = atol(argv[++i]);
    else if (!strcmp(argv[i], "--streams") && i + 1 < argc) streams = atol(argv[++i]);
    else if (!strcmp(argv[i], "--bufsize") && i + 1 < argc) bufsize = atol(argv[++i]);
    else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
  }
  FILE *f = fopen(argv[2], "rb");
  if (!f) { perror(argv[2]); return 2; }
  static char body[1 << 16];
  size_t length = fread(body, 1, sizeof body, f);
  fclose(f);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  CURLM *multi = curl_multi_init();
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, concurrency);
  if (h2) {
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, conns);
    if (streams > 0) curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, streams);
  }
  if (use_socket) {
    epfd = epoll_create1(EPOLL_CLOEXEC);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_timer);
  }
  struct curl_slist *fixed = NULL;
  fixed = curl_slist_append(fixed, "Content-Type: application/json");
  fixed = curl_slist_append(fixed, "Expect:");
  if (!sign) {
    fixed = curl_slist_append(fixed, "webhook-id: 0000000003A0F2B8-000417");
    fixed = curl_slist_append(fixed, "webhook-timestamp: 1795865400");
    fixed = curl_slist_append(fixed, "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  }
  struct slot *slots = calloc((size_t)concurrency, sizeof *slots);
  long started = 0, done = 0, failed = 0;
  /* Starts request number `started` on slot s. */
#define START(s)                                                                                           \
  do {                                                                                                     \
    struct slot *sl_ = (s);                                                                                 \
    if (sign) {                                                                                            \
      curl_slist_free_all(sl_->headers);                                                                    \
      sl_->headers = NULL;                                                                                  \
      for (struct curl_slist *h = fixed; h; h = h->next) sl_->headers = curl_slist_append(sl_->headers, h->data); \
      snprintf(sl_->id, sizeof sl_->id, "webhook-id: 0000000003A0F2B8-%06ld", started);                     \
      snprintf(sl_->ts, sizeof sl_->ts, "webhook-timestamp: %ld", (long)time(NULL));                         \
      snprintf(sl_->sig, sizeof sl_->sig, "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVl%05ld=", started % 100000); \
      sl_->headers = curl_slist_append(sl_->headers, sl_->id);                                                \
      sl_->headers = curl_slist_append(sl_->headers, sl_->ts);                                                \
      sl_->headers = curl_slist_append(sl_->headers, sl_->sig);                                               \
      curl_easy_setopt(sl_->easy, CURLOPT_HTTPHEADER, sl_->headers);                                         \
    }                                                                                                      \
    if (minimal || sign) {                                                                                 \
      curl_easy_setopt(sl_->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);                         \
      curl_easy_setopt(sl_->easy, CURLOPT_POSTFIELDS, body);                                                \
    } else {                                                                                               \
      curl_easy_setopt(sl_->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)length);                         \
      curl_easy_setopt(sl_->easy, CURLOPT_COPYPOSTFIELDS, body);                                            \
    }                                                                                                      \
    curl_multi_add_handle(multi, sl_->easy);                                                                \
    started++;                                                                                             \
  } while (0)

  struct timespec a, b;
  double cpu0 = cpu_seconds();
  clock_gettime(CLOCK_MONOTONIC, &a);
  CURL *template = curl_easy_init();
  for (long i = -1; i < concurrency; i++) {
    CURL *easy = i < 0 ? template : curl_easy_init();
    if (i >= 0) slots[i].easy = easy;
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, fixed);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    if (h2) {
      curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                       h2 == 2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
      if (cafile) curl_easy_setopt(easy, CURLOPT_CAINFO, cafile);
      curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    }
    if (bufsize) curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, bufsize);
    if (i >= 0) curl_easy_setopt(easy, CURLOPT_PRIVATE, &slots[i]);
    if (i >= 0 && started < total) START(&slots[i]);
  }
  int running = 1;
  if (use_socket) curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
  struct epoll_event events[256];
  while (done < total) {
    if (use_socket) {
      int n = epoll_wait(epfd, events, 256, timeout_ms < 0 ? 1000 : (int)timeout_ms);
      if (n <= 0) {
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
      } else {
        for (int i = 0; i < n; i++) {
          int mask = (events[i].events & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0)
                     | (events[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0)
                     | (events[i].events & EPOLLERR ? CURL_CSELECT_ERR : 0);
          curl_multi_socket_action(multi, events[i].data.fd, mask, &running);
        }
      }
    } else {
      curl_multi_perform(multi, &running);
    }
    CURLMsg *message;
    int left;
    while ((message = curl_multi_info_read(multi, &left))) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL *easy = message->easy_handle;
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      CURLcode result = message->data.result;
      /* nginx resets an h2 stream it answered before reading the body: the answer stands. */
      if ((result != CURLE_OK && !(result == CURLE_HTTP2_STREAM && status >= 200)) || status / 100 != 2) {
        if (failed++ < 3) fprintf(stderr, "request failed: %s, status %ld\n", curl_easy_strerror(result), status);
      }
      struct slot *sl;
      curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&sl);
      curl_multi_remove_handle(multi, easy);
      if (fresh) {
        curl_easy_cleanup(easy);
        sl->easy = curl_easy_duphandle(template);
        curl_easy_setopt(sl->easy, CURLOPT_PRIVATE, sl);
        if (sign) curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, fixed);
      }
      done++;
      if (started < total) START(sl);
    }
    if (!use_socket) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    else if (started > done && timeout_ms == 0) curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  double cpu = cpu_seconds() - cpu0;
  if (failed) { fprintf(stderr, "%ld of %ld requests failed\n", failed, total); return 1; }
  printf("%.0f %.1f\n", (double)total / seconds, cpu * 1e6 / (double)total);
  return 0;
}

/// The Python runtime adapter: runs an existing AWS Lambda handler `def handler(event, context)`
/// unchanged as a processing function (`function: { lambda: "handlers.orders.handler" }`).
///
/// The adapter is a Python 3 program held here as a string and passed with `python3 -c`, so a release
/// binary run from anywhere has it, and nothing is written to disk. It speaks the function protocol
/// (one JSON line in, one JSON line out) and maps the handler's return value:
///
/// - a dict with `batchItemFailures` and/or `records`: those members are passed through (others, such
///   as `statusCode`, are dropped);
/// - `None`, or anything else (a dict without those members, a list, a string): `{}`, meaning
///   "forward the input unchanged, nothing failed". This is what a Lambda handler that only has side
///   effects means, and it keeps handlers that return `{"statusCode": 200}` working;
/// - an exception: the traceback goes to stderr (so to cdcd's log) and the reply is
///   `{"errorMessage": ..., "errorType": ...}`, which fails the batch (`FunctionError.Kind.handlerError`)
///   and keeps the process, as Lambda keeps a warm runtime after a handler error.
///
/// The handler cannot corrupt the protocol: the adapter keeps private copies of stdin and stdout for it,
/// then points descriptor 0 at /dev/null and descriptor 1 (and `sys.stdout`) at stderr, so `print()`,
/// `input()` and programs the handler starts write to the log instead. Records keep their
/// `Decimal`s as JSON numbers (integral ones as integers). The module is looked up first in the search
/// directory (the config file's folder), then on `PYTHONPATH`; `handlers/orders.handler` also works.
/// A module that cannot be imported ends the process with status 2 and a traceback, so each batch
/// fails with that message until it is fixed.
///
/// The context object has Lambda's fields: `function_name`, `function_version` (`$LATEST`),
/// `invoked_function_arn` (account 000000000000, region from `AWS_REGION`), `memory_limit_in_mb` (a
/// string, as in Lambda; `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` or 128), `aws_request_id` (a new UUID per
/// batch), `log_group_name`, `log_stream_name`, `identity` and `client_context` (None), and
/// `get_remaining_time_in_millis()` counting down the function's timeout.
public enum LambdaAdapter {
    /// `[python, "-c", script, handler, searchPath, timeoutMilliseconds, functionName]`: the command
    /// that runs `handler` (`module.function`) with the adapter. `functionName` (the context's
    /// `function_name`) defaults to the handler string.
    public static func command(
        handler: String, python: String = "python3", searchPath: String, timeout: Duration,
        functionName: String? = nil
    ) -> [String] {
        let (seconds, attoseconds) = timeout.components
        let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        return [python, "-c", script, handler, searchPath, String(milliseconds), functionName ?? handler]
    }

    /// How messages and logs name a Lambda function: `lambda:handlers.orders.handler`.
    public static func name(handler: String) -> String {
        "lambda:\(handler)"
    }

    /// The adapter program (Python 3.8 or later).
    public static let script = #"""
        # cdcd Lambda adapter: runs `def handler(event, context)` as a cdcd processing function.
        # Protocol: cdcd writes one line {"Records":[...]}; the adapter answers one JSON line.
        import decimal
        import importlib
        import json
        import os
        import sys
        import time
        import traceback
        import uuid


        class LambdaContext:
            """The fields of AWS Lambda's context object that handlers use."""

            def __init__(self, function_name, memory_mb, timeout_ms, log_stream_name):
                region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
                self.function_name = function_name
                self.function_version = "$LATEST"
                self.invoked_function_arn = "arn:aws:lambda:%s:000000000000:function:%s" % (region, function_name)
                self.memory_limit_in_mb = memory_mb
                self.aws_request_id = str(uuid.uuid4())
                self.log_group_name = "/aws/lambda/" + function_name
                self.log_stream_name = log_stream_name
                self.identity = None
                self.client_context = None
                self._deadline = time.monotonic() + timeout_ms / 1000.0

            def get_remaining_time_in_millis(self):
                return max(0, int((self._deadline - time.monotonic()) * 1000))


        def json_default(value):
            if isinstance(value, decimal.Decimal):
                return int(value) if value == value.to_integral_value() else float(value)
            raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


        def shape(result):
            # records and/or batchItemFailures pass through; None or anything else means "forward the
            # input unchanged" ({}), as a Lambda handler that only has side effects means.
            if isinstance(result, dict):
                return {key: result[key] for key in ("records", "batchItemFailures") if key in result}
            return {}


        def main():
            spec, search_dir, timeout_ms, function_name = sys.argv[1:5]
            timeout_ms = int(timeout_ms)

            # The protocol owns descriptors 0 and 1: keep private copies, then send the handler's stdin
            # to /dev/null and its stdout (print, subprocesses) to stderr, which cdcd logs.
            requests = os.fdopen(os.dup(0), "rb")
            replies = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.close(null)
            os.dup2(2, 1)
            sys.stdout = sys.stderr

            def reply(answer):
                line = json.dumps(answer, separators=(",", ":"), allow_nan=False, default=json_default)
                replies.write(line + "\n")
                replies.flush()

            os.environ.setdefault("AWS_LAMBDA_FUNCTION_NAME", function_name)
            os.environ.setdefault("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            os.environ.setdefault("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            os.environ.setdefault("LAMBDA_TASK_ROOT", search_dir)
            memory_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]

            # `python -c` puts the current directory first on sys.path: put the search directory there
            # instead, so the module is found in it first, then on PYTHONPATH.
            if sys.path and sys.path[0] in ("", os.getcwd()):
                sys.path[0] = search_dir
            else:
                sys.path.insert(0, search_dir)
            module_name, _, attribute = spec.rpartition(".")
            module_name = module_name.replace("/", ".")
            try:
                if not module_name or not attribute:
                    raise ValueError("expected module.function, for example handlers.orders.handler")
                handler = getattr(importlib.import_module(module_name), attribute)
                if not callable(handler):
                    raise TypeError("%s is not a function" % spec)
            except Exception:
                traceback.print_exc()
                sys.stderr.write(
                    "cdcd lambda adapter: cannot load handler %s (module %s looked up in %s, then PYTHONPATH)\n"
                    % (spec, module_name or "?", search_dir))
                sys.stderr.flush()
                return 2

            log_stream_name = time.strftime("%Y/%m/%d") + "/[$LATEST]" + uuid.uuid4().hex
            while True:
                line = requests.readline()
                if not line:
                    return 0
                if not line.strip():
                    continue
                try:
                    event = json.loads(line)
                except ValueError as error:
                    message = "the request is not JSON: %s" % error
                    reply({"errorMessage": message, "errorType": "Runtime.InvalidRequest"})
                    continue
                context = LambdaContext(function_name, memory_mb, timeout_ms, log_stream_name)
                try:
                    result = handler(event, context)
                except Exception as error:
                    traceback.print_exc()
                    sys.stderr.flush()
                    reply({"errorMessage": str(error) or type(error).__name__, "errorType": type(error).__name__})
                    continue
                try:
                    reply(shape(result))
                except Exception as error:
                    traceback.print_exc()
                    sys.stderr.flush()
                    reply({
                        "errorMessage": "the handler's result cannot be written as JSON: %s" % error,
                        "errorType": "Runtime.MarshalError",
                    })


        sys.exit(main())
        """#
}

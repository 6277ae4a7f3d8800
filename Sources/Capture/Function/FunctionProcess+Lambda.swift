import Logging

extension FunctionProcess {
    /// A function that runs the AWS Lambda Python handler `handler` (`handlers.orders.handler`) with
    /// cdcd's adapter (see `LambdaAdapter`), in `searchPath` (the config file's folder, where the module
    /// is looked up first, then on `PYTHONPATH`). Messages name it `lambda:handlers.orders.handler`.
    public static func lambda(
        handler: String, python: String = "python3", searchPath: String, timeout: Duration = .seconds(30),
        startupTimeout: Duration = .seconds(10), functionName: String? = nil, environment: [String: String] = [:],
        logger: Logger
    ) -> FunctionProcess {
        FunctionProcess(
            command: LambdaAdapter.command(
                handler: handler, python: python, searchPath: searchPath, timeout: timeout,
                functionName: functionName),
            workingDirectory: searchPath, environment: environment, timeout: timeout,
            startupTimeout: startupTimeout, name: LambdaAdapter.name(handler: handler), logger: logger)
    }
}

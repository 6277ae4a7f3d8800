// Sinks: file/stdout first; Postgres and webhook sinks follow.

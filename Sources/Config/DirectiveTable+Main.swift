/// Main-context and `events { }` directives, the block openers, and `error_log` (valid everywhere but events).
extension DirectiveTable {
    static let mainDirectives: [DirectiveSpec] = [
        DirectiveSpec("worker_processes", .main, .exactly(1)) { d, state throws(ConfigError) in
            if d.args[0] == "auto" {
                state.main.workerProcesses = 0
                return
            }
            guard let count = ConfigValue.number(d.args[0]) else { throw d.slotError("invalid value") }
            state.main.workerProcesses = count
        },
        .mainFlag("daemon", \.daemon),
        .mainFlag("master_process", \.masterProcess),
        DirectiveSpec("pid", .main, .exactly(1)) { d, state throws(ConfigError) in state.main.pidPath = d.args[0] },
        DirectiveSpec("worker_rlimit_nofile", .main, .exactly(1)) { d, state throws(ConfigError) in
            state.main.workerRlimitNofile = try d.number()
        },
        DirectiveSpec("worker_shutdown_timeout", .main, .exactly(1)) { d, state throws(ConfigError) in
            guard let ms = ConfigValue.milliseconds(d.args[0]) else { throw d.slotError("invalid value") }
            state.main.workerShutdownTimeout = ms
        },
        DirectiveSpec("user", .main, .range(1, 2)) { d, state throws(ConfigError) in
            state.main.user = UserSetting(
                user: d.args[0],
                group: d.args.count > 1 ? d.args[1] : nil,
                location: d.location
            )
        },
        DirectiveSpec("env", .main, .exactly(1), .multiple) { d, state throws(ConfigError) in
            state.main.env.append(d.args[0])
        },
        DirectiveSpec("error_log", [.main, .blockOrServer], .atLeast(1), .multiple) { d, state throws(ConfigError) in
            let target = try logTarget(d)
            if state.context == .main {
                state.mainErrorLogs.append(target)
            } else {
                state.scope.errorLogs = (state.scope.errorLogs ?? []) + [target]
            }
        },
        DirectiveSpec("events", .main, .block) { d, state throws(ConfigError) in
            try state.apply(d.block ?? [], in: .events)
        },
        DirectiveSpec("worker_connections", .events, .exactly(1)) { d, state throws(ConfigError) in
            state.main.workerConnections = try d.number()
        },
        DirectiveSpec("use", .events, .exactly(1)) { d, state throws(ConfigError) in
            guard d.args[0] == "epoll" else { throw d.error("invalid event type \"\(d.args[0])\"") }
            state.main.eventMethod = d.args[0]
        },
        .mainFlag("multi_accept", \.multiAccept, .events),
        .mainFlag("accept_mutex", \.acceptMutex, .events),
        DirectiveSpec("tcp", .main, .block) { d, state throws(ConfigError) in try state.enterBlock(d, stream: false) },
        DirectiveSpec("stream", .main, .block) { d, state throws(ConfigError) in try state.enterBlock(d, stream: true)
        },
        DirectiveSpec("server", .block, .block, .multiple) { d, state throws(ConfigError) in try state.enterServer(d) },
    ]

    /// `error_log FILE|stderr [LEVEL...]`: one standard level, or `debug_*` levels (which mean debug).
    static func logTarget(_ d: Directive) throws(ConfigError) -> LogTarget {
        var level: LogLevel?
        var debug = false
        for name in d.args.dropFirst() {
            guard let parsed = LogLevel(name: name) else { throw d.error("invalid log level \"\(name)\"") }
            if name.hasPrefix("debug_") {
                debug = true
            } else {
                guard level == nil else { throw d.error("duplicate log level \"\(name)\"") }
                level = parsed
            }
        }
        return LogTarget(path: d.args[0], level: debug ? .debug : level ?? .error)
    }
}

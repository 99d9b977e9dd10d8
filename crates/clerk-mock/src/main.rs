//! `clerk-mock --port N`: runs the mock Backend API until interrupted, printing its base URL and
//! secret key.

use std::process::ExitCode;

const USAGE: &str = "usage: clerk-mock [--port N] [--secret-key KEY] [--webhook-url URL --webhook-secret whsec_...] [--body-limit BYTES] [--rate-limit]";

fn main() -> ExitCode {
    let mut builder = clerk_mock::MockServer::builder();
    let mut args = std::env::args().skip(1);
    let mut webhook_url = None;
    let mut webhook_secret = None;
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let parsed: Result<(), String> = match arg.as_str() {
            "--port" => value("--port").and_then(|v| {
                v.parse::<u16>()
                    .map(|p| builder = std::mem::take(&mut builder).port(p))
                    .map_err(|_| format!("invalid port '{v}'"))
            }),
            "--secret-key" => {
                value("--secret-key").map(|v| builder = std::mem::take(&mut builder).secret_key(v))
            }
            "--webhook-url" => value("--webhook-url").map(|v| webhook_url = Some(v)),
            "--webhook-secret" => value("--webhook-secret").map(|v| webhook_secret = Some(v)),
            "--body-limit" => value("--body-limit").and_then(|v| {
                v.parse::<usize>()
                    .map(|n| builder = std::mem::take(&mut builder).body_limit(n))
                    .map_err(|_| format!("invalid byte count '{v}'"))
            }),
            // Clerk's development-instance limit: 100 requests per 10 seconds.
            "--rate-limit" => {
                builder =
                    std::mem::take(&mut builder).rate_limit(clerk_mock::RateLimit::DEVELOPMENT);
                Ok(())
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => Err(format!("unknown argument '{other}'")),
        };
        if let Err(e) = parsed {
            eprintln!("clerk-mock: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    match (webhook_url, webhook_secret) {
        (Some(url), Some(secret)) => builder = builder.webhook(url, secret),
        (None, None) => {}
        _ => {
            eprintln!("clerk-mock: --webhook-url and --webhook-secret go together\n{USAGE}");
            return ExitCode::from(2);
        }
    }

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("clerk-mock: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match builder.start().await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("clerk-mock: {e}");
                return ExitCode::FAILURE;
            }
        };
        // The secret key is printed on purpose: it is generated for this mock and tests need it.
        println!("base_url={}", server.base_url());
        println!("secret_key={}", server.secret_key());
        println!("publishable_key={}", server.publishable_key());
        println!("instance_id={}", server.instance_id());
        // Serve until the process is stopped (Ctrl-C or a signal ends it).
        std::future::pending::<()>().await;
        drop(server);
        ExitCode::SUCCESS
    })
}

//! `shopify-mock`: the mock Shopify as a standalone server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use shopify_mock::{
    MockConfig, ShopifyMock, Topic, WebhookConfig, WebhookSchedule, WebhookSubscription,
    load_orders,
};

/// A mock Shopify store: REST and GraphQL Admin API, signed webhooks, rate limits.
#[derive(Parser, Debug)]
#[command(name = "shopify-mock", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the mock until Ctrl-C.
    Serve(Serve),
}

#[derive(Parser, Debug)]
struct Serve {
    /// Address to bind.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Orders to seed: a YAML or JSON list, each like a scenario's `shopify.orders` entry.
    #[arg(long, value_name = "FILE")]
    orders: Option<PathBuf>,
    /// Send webhooks for every topic to this URL.
    #[arg(long, value_name = "URL")]
    webhook_url: Option<String>,
    /// Only these topics (comma-separated, e.g. orders/updated,refunds/create).
    #[arg(long, value_delimiter = ',', requires = "webhook_url")]
    webhook_topics: Vec<String>,
    /// The app secret that signs webhooks (X-Shopify-Hmac-Sha256).
    #[arg(long, default_value = "mock-webhook-secret")]
    webhook_secret: String,
    /// When failed webhooks are retried: `shopify` (8 retries over 4 hours, on the
    /// mock's clock, which follows real time) or `fast` (10 ms, 20 ms, … 1.28 s).
    #[arg(long, value_enum, default_value_t = Schedule::Shopify)]
    webhook_schedule: Schedule,
    /// How many webhook attempts to one receiver may be in flight at once (1: one
    /// at a time, in order).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..))]
    webhook_concurrency: u16,
    /// The access token clients must send in X-Shopify-Access-Token.
    #[arg(long, default_value = "shpat_mock_access_token")]
    access_token: String,
    /// Log every request to stderr.
    #[arg(long, short)]
    verbose: bool,
}

/// `--webhook-schedule`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Schedule {
    /// Shopify's: 8 retries over 4 hours.
    Shopify,
    /// 10 ms, 20 ms, … in real time.
    Fast,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Command::Serve(args) = Cli::parse().command;
    match serve(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Ctrl-C (SIGINT), listened for from now on: the handler is installed before this
/// returns, so a signal sent any time later ends the returned future.
fn interrupt_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut sigint = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
        Ok(async move {
            sigint.recv().await;
        })
    }
    #[cfg(not(unix))]
    {
        let mut ctrl_c = tokio::signal::windows::ctrl_c().context("listening for Ctrl-C")?;
        Ok(async move {
            ctrl_c.recv().await;
        })
    }
}

async fn serve(args: Serve) -> anyhow::Result<()> {
    let mut config = MockConfig {
        // Subscriptions made over the API (webhooks.json, GraphQL) are signed
        // with the app's secret too.
        webhook_secret: args.webhook_secret.clone(),
        bind: SocketAddr::new(args.bind, args.port),
        access_token: args.access_token.clone(),
        webhooks: WebhookConfig {
            schedule: match args.webhook_schedule {
                Schedule::Shopify => WebhookSchedule::Shopify,
                Schedule::Fast => WebhookSchedule::Fast,
            },
            max_in_flight: usize::from(args.webhook_concurrency),
            ..WebhookConfig::default()
        },
        ..MockConfig::default()
    };
    if args.verbose {
        config.request_log = Some(Arc::new(|l| {
            eprintln!("{} {} -> {}", l.method, l.path, l.status);
        }));
    }
    let orders = match &args.orders {
        Some(path) => load_orders(path)?,
        None => Vec::new(),
    };
    let topics = args
        .webhook_topics
        .iter()
        .map(|t| t.trim().parse::<Topic>())
        .collect::<Result<Vec<_>, _>>()?;
    let mock = ShopifyMock::start(config).await?;
    mock.seed_orders(&orders)
        .with_context(|| match &args.orders {
            Some(p) => format!("seeding orders from {}", p.display()),
            None => "seeding orders".to_owned(),
        })?;
    if let Some(url) = &args.webhook_url {
        mock.subscribe(WebhookSubscription {
            address: url.clone(),
            topics,
            secret: args.webhook_secret.clone(),
        });
    }
    // Listen for Ctrl-C before saying so: a caller may send it as soon as it reads
    // the lines below.
    let interrupted = interrupt_signal()?;
    println!("shopify-mock listening on {}", mock.base_url());
    println!("admin API: {}", mock.admin_url());
    println!("access token: {}", mock.access_token());
    println!("orders seeded: {}", orders.len());
    if let Some(url) = &args.webhook_url {
        println!("webhooks: {url}");
    }
    println!("press Ctrl-C to stop");
    interrupted.await;
    println!("shutting down");
    // Let the attempts queued or in flight finish (at most one attempt's timeout),
    // never the retry schedule, and say what is left.
    let grace = mock.config().webhooks.timeout;
    let pending = mock.stop_webhooks(grace).await;
    print!("{}", pending_report(&pending));
    drop(mock);
    Ok(())
}

/// What a graceful stop leaves undelivered: a count, then one line per delivery.
fn pending_report(pending: &[shopify_mock::Delivery]) -> String {
    use std::fmt::Write as _;
    let mut out = match pending.len() {
        0 => "webhook deliveries pending: 0\n".to_owned(),
        n => format!("webhook deliveries pending: {n} (not delivered, not retried any more)\n"),
    };
    for d in pending {
        let next = d
            .next_attempt
            .map_or_else(|| "none scheduled".to_owned(), |t| t.to_string());
        let _ = writeln!(
            out,
            "  pending: {} {} to {}: {} attempt(s), next retry at {next}",
            d.topic, d.webhook_id, d.address, d.attempts
        );
    }
    out
}

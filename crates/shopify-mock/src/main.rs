//! `shopify-mock`: the mock Shopify as a standalone server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use shopify_mock::{MockConfig, ShopifyMock, Topic, WebhookSubscription, load_orders};

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
    /// The access token clients must send in X-Shopify-Access-Token.
    #[arg(long, default_value = "shpat_mock_access_token")]
    access_token: String,
    /// Log every request to stderr.
    #[arg(long, short)]
    verbose: bool,
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
        bind: SocketAddr::new(args.bind, args.port),
        access_token: args.access_token.clone(),
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
    // Deliver what is still queued (bounded: a dead receiver does not hold us up).
    let pending = mock.pending_webhooks();
    if pending > 0 {
        println!("delivering {pending} pending webhooks (at most 10 s)");
        let _ = tokio::time::timeout(Duration::from_secs(10), mock.settle_webhooks()).await;
    }
    drop(mock);
    Ok(())
}

//! `consentry demo --once`: a scripted visit through consentry to the demo portal (no choice,
//! refuse, accept, log in, withdraw), a table of what passed, what was dropped, and what was
//! stripped from the requests and deleted from the browser, and a check of every expectation;
//! the exit status says whether they all held, so CI can run it as a smoke test.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use super::checks::{check_visit, Visit};
use super::collect::RecordCollector;
use super::exchange::Exchange;
use super::visitor::Visitor;
use super::{start_demo, DemoStack};

/// Both servers on port 0: a scripted run must never collide with anything already listening.
const ONCE_LISTEN: &str = "127.0.0.1:0";

/// Runs the visit, prints the table and the verdict, and says whether every expectation held.
pub async fn run_scripted_visit() -> ExitCode {
    let records = Arc::new(RecordCollector::default());
    let stack = match start_demo(ONCE_LISTEN, records.clone()).await {
        Ok(stack) => stack,
        Err(message) => {
            eprintln!("consentry demo: {message}");
            return ExitCode::FAILURE;
        }
    };
    let visited = visit_portal(&stack, &records).await;
    let description = describe_stack(&stack);
    stack.shutdown().await;
    let visit = match visited {
        Ok(visit) => visit,
        Err(message) => {
            eprintln!("consentry demo: the scripted visit failed: {message}");
            return ExitCode::FAILURE;
        }
    };
    let (report, all_hold) = render_report(&description, &visit);
    // A closed stdout must not turn a passing run into a panic.
    let _ = std::io::stdout().lock().write_all(report.as_bytes());
    if all_hold {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn describe_stack(stack: &DemoStack) -> String {
    format!(
        "consentry on {} in front of the demo portal on {}",
        stack.proxy_addr(),
        stack.portal_addr()
    )
}

/// The visit, one request at a time: the records a request produced are those that arrived
/// while it was in flight (the proxy records before it answers).
async fn visit_portal(stack: &DemoStack, records: &RecordCollector) -> Result<Visit, String> {
    let mut visitor = Visitor::new(stack.proxy_addr());
    let mut step = async |method: &'static str, path: &'static str, form: Option<&'static str>| {
        let start = records.count_records();
        let reply = match form {
            Some(form) => visitor.post_form(path, form).await?,
            None => visitor.get(path).await?,
        };
        let recorded = records.records_since(start);
        Ok::<_, String>(Exchange::summarise(method, path, form, &reply, &recorded))
    };
    Ok(Visit {
        no_choice: step("GET", "/", None).await?,
        refuse: step("POST", "/consent", Some("choice=refuse")).await?,
        after_refusing: step("GET", "/", None).await?,
        accept: step("POST", "/consent", Some("choice=accept")).await?,
        after_accepting: step("GET", "/", None).await?,
        log_in: step("POST", "/login", Some("username=demo")).await?,
        // The analytics cookies are in the jar now: the response to the withdrawal deletes them.
        withdraw: step("POST", "/consent", Some("choice=refuse")).await?,
        after_withdrawing: step("GET", "/", None).await?,
    })
}

/// The table, then the verdict; `true` when every expectation held.
fn render_report(stack: &str, visit: &Visit) -> (String, bool) {
    let phases = [
        ("1. no choice yet", &visit.no_choice),
        ("2. refuse all", &visit.refuse),
        ("   with the refusal", &visit.after_refusing),
        ("3. accept all", &visit.accept),
        ("   with the consent", &visit.after_accepting),
        ("4. log in", &visit.log_in),
        ("5. withdraw", &visit.withdraw),
        ("   with the withdrawal", &visit.after_withdrawing),
    ];
    let width = phases
        .iter()
        .map(|(phase, _)| phase.len())
        .max()
        .unwrap_or(0);
    let mut out = format!("consentry demo --once: {stack}\n\n");
    for (phase, exchange) in phases {
        out.push_str(&format!("{phase:<width$} {}\n", exchange.render_request()));
        for row in exchange.render_rows() {
            out.push_str(&row);
            out.push('\n');
        }
    }
    let checks = check_visit(visit);
    let failed: Vec<_> = checks.iter().filter(|c| !c.holds).collect();
    out.push('\n');
    if failed.is_empty() {
        out.push_str(&format!(
            "✓ all {} expectations hold: necessary cookies pass, analytics wait for consent, \
             undeclared cookies never pass, over-long lifetimes are capped, and the response to a \
             withdrawal deletes the analytics cookies\n",
            checks.len()
        ));
    } else {
        out.push_str(&format!(
            "✗ {} of {} expectations failed:\n",
            failed.len(),
            checks.len()
        ));
        for check in &failed {
            out.push_str(&format!("  ✗ {}\n", check.expectation));
        }
    }
    (out, failed.is_empty())
}

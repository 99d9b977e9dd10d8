//! A tour of the SDK: create a user, impersonate them with an actor token,
//! page through users, revoke the token, clean up.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Without `CLERK_SECRET_KEY` it starts the embedded mock Clerk server and
//! runs against it (nothing leaves the machine). With `CLERK_SECRET_KEY` set
//! (a development instance's `sk_test_…` key, please) it runs against the
//! real Backend API, and deletes what it created at the end.

use clerk_backend_api::auth::Verifier;
use clerk_backend_api::impersonation::Impersonation;
use clerk_backend_api::prelude::*;
use clerk_backend_api::types::CreateUserBody;
use futures::TryStreamExt;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    // The mock lives as long as `_mock`: keep it until the end.
    let (clerk, _mock) = match std::env::var("CLERK_SECRET_KEY") {
        Ok(_) => {
            println!("CLERK_SECRET_KEY is set: talking to the real Backend API.");
            (Clerk::from_env()?, None)
        }
        Err(_) => {
            let mock = clerk_mock::MockServer::start().await;
            println!(
                "No CLERK_SECRET_KEY: started the embedded mock Clerk server at {}.",
                mock.base_url()
            );
            let clerk = Clerk::builder(mock.secret_key())
                .base_url(mock.base_url())
                .build()?;
            (clerk, Some(mock))
        }
    };

    // 1. Two users: the one to help, and the support agent who helps.
    let run = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
    let mut created = Vec::new();
    for (first, last) in [("Ada", "Lovelace"), ("Grace", "Hopper")] {
        let email = format!("{}+quickstart{run}@example.com", first.to_lowercase());
        let body = CreateUserBody::builder()
            .email_address([&email])
            .first_name(first)
            .last_name(last)
            .skip_password_requirement(true);
        let user = clerk.create_user().body(body).send().await?;
        println!("1. created user {} ({first} {last}, {email})", user.id);
        created.push(user);
    }
    let (customer, agent) = (&created[0], &created[1]);

    // 2. Impersonation: an actor token lets the agent sign in as the customer.
    let token = clerk
        .impersonate(
            Impersonation::new(&customer.id, &agent.id)
                .claim("ticket", "SUP-1234")
                .expires_in(Duration::from_secs(600)),
        )
        .await?;
    println!(
        "2. actor token {} is {} — its URL signs {} in as {}",
        token.id, token.status, agent.id, customer.id
    );

    // Against the mock, follow the URL as a browser would and check the
    // session token it yields: the `act` claim names the agent.
    if let (Some(mock), Some(url)) = (&_mock, &token.url) {
        let accepted: serde_json::Value =
            reqwest::get(url).await?.error_for_status()?.json().await?;
        let jwt = accepted["jwt"].as_str().unwrap_or_default();
        let verifier = Verifier::builder()
            .secret_key(mock.secret_key())
            .api_url(mock.base_url())
            .issuer(mock.issuer())
            .build()?;
        match verifier.verify_session_token(jwt).await {
            Ok(claims) => {
                let act = claims
                    .act
                    .as_ref()
                    .map(|a| (a.sub.as_str(), a.extra.get("ticket")));
                println!(
                    "   accepted: session {} for {}, act = {act:?}",
                    claims.sid.as_deref().unwrap_or("?"),
                    claims.sub
                );
            }
            Err(reason) => println!("   the session token did not verify: {reason}"),
        }
        // A used token can no longer be revoked; Clerk says why.
        match clerk.revoke_impersonation(&token.id).await {
            Ok(t) => println!("   revoking it anyway gave status {}", t.status),
            Err(e) => println!(
                "   revoking a used token is refused: {}",
                e.code().unwrap_or("?")
            ),
        }
    }

    // 3. Page through users, two per page, then count them all.
    let mut pages = 0;
    let mut seen = 0;
    let mut stream = std::pin::pin!(clerk.get_user_list().order_by("-created_at").pages_of(2));
    while let Some(page) = stream.try_next().await? {
        pages += 1;
        seen += page.len();
        if pages == 3 {
            break; // enough for a demo on a big instance
        }
    }
    let total = clerk.get_users_count().send().await?.total_count;
    println!("3. listed {seen} users in {pages} pages of 2; the instance has {total} users");

    // 4. A second token, revoked before anyone uses it.
    let unused = clerk
        .impersonate(Impersonation::new(&customer.id, &agent.id))
        .await?;
    let revoked = clerk.revoke_impersonation(&unused.id).await?;
    println!(
        "4. actor token {} revoked: status {}",
        revoked.id, revoked.status
    );

    // 5. Clean up.
    for user in &created {
        let deleted = clerk.delete_user().user_id(&user.id).send().await?;
        println!(
            "5. deleted user {} ({})",
            user.id,
            if deleted.deleted { "ok" } else { "not deleted" }
        );
    }
    match clerk.get_user().user_id(&customer.id).send().await {
        Err(e) if e.is_not_found() => {
            println!("   {} is gone: {}", customer.id, e.code().unwrap_or("?"))
        }
        other => println!("   unexpected: {other:?}"),
    }
    println!("Done in {:.2?}.", started.elapsed());
    Ok(())
}

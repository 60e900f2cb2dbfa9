//! A failed plain form post comes back with what was typed (never a password): the fields ride
//! a one-minute cookie to the page the post was sent back to, and only that form takes them.

use app::api::{auth::SignUp, projects::CreateProject};
use reqwest::{Response, StatusCode, header};

use crate::helpers::{Backend, Call, TestApp, User};
use crate::on_both;

/// Posts `args` the way a browser posts a form (no JSON), from `page`.
async fn post_form<F: Call>(app: &TestApp, args: F, page: &str, cookie: Option<&str>) -> Response {
    let mut req = app
        .request(args)
        .header("sec-fetch-site", "same-origin")
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("{}{page}", app.base));
    if let Some(cookie) = cookie {
        req = req.header(header::COOKIE, cookie);
    }
    req.send().await.unwrap()
}

/// The `berth_form=…` pair a response sets, if any.
fn kept_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("berth_form="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// GETs `url` (absolute) with `cookies`.
async fn page(app: &TestApp, url: &str, cookies: &str) -> String {
    let res = app
        .http
        .get(url)
        .header(header::COOKIE, cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{url}");
    res.text().await.unwrap()
}

async fn a_refused_sign_up_comes_back_with_its_fields_but_not_the_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let password = "a long enough password, kept nowhere";

    let res = post_form(
        &app,
        SignUp {
            email: "ann@example.com".into(),
            username: "Not Valid".into(),
            display_name: "Ann \"<b>\"".into(),
            password: password.into(),
        },
        "/signup",
        None,
    )
    .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = kept_cookie(&res).expect("the fields are kept");
    assert!(
        !cookie.contains("long+enough") && !cookie.contains("password"),
        "{cookie}"
    );
    let set = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("berth_form="))
        .unwrap();
    for attribute in ["HttpOnly", "Max-Age=60", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attribute), "{set}");
    }
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let html = page(&app, &location, &cookie).await;
    assert!(html.contains(r#"value="ann@example.com""#), "{html}");
    assert!(html.contains(r#"value="Not Valid""#), "{html}");
    // Escaped as any attribute value: the markup stays text.
    assert!(
        html.contains(r#"value="Ann &quot;&lt;b&gt;&quot;""#),
        "{html}"
    );
    assert!(!html.contains(password));
    // The same page without the failed post's marks shows an empty form.
    let fresh = page(&app, &format!("{}/signup", app.base), &cookie).await;
    assert!(!fresh.contains("ann@example.com"), "{fresh}");
    assert_eq!(app.count("app_user").await, 0);
}

async fn only_the_form_that_failed_takes_the_kept_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ann: User<'_> = app.sign_up("ann").await;

    let res = post_form(
        &app,
        CreateProject {
            owner: "ann".into(),
            name: "Bad_Name".into(),
            description: "kept description".into(),
            region: "local".into(),
        },
        "/projects/new",
        Some(&ann.cookie),
    )
    .await;
    let cookie = kept_cookie(&res).expect("the fields are kept");
    let location = res.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let both = format!("{}; {cookie}", ann.cookie);

    let form = page(&app, &location, &both).await;
    let sign_in = page(
        &app,
        &format!("{}/login?__path=/api/sign_in&__err=x", app.base),
        &cookie,
    )
    .await;
    // A JSON call (the CLI's, a script's) is answered in JSON and keeps nothing.
    let json = ann
        .send(CreateProject {
            owner: "ann".into(),
            name: "Bad_Name".into(),
            description: String::new(),
            region: "local".into(),
        })
        .await;

    assert!(form.contains(r#"value="Bad_Name""#), "{form}");
    assert!(form.contains("kept description"), "{form}");
    assert!(!sign_in.contains("Bad_Name"), "{sign_in}");
    assert_eq!(json.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(kept_cookie(&json).is_none());
}

on_both!(
    a_refused_sign_up_comes_back_with_its_fields_but_not_the_password,
    only_the_form_that_failed_takes_the_kept_fields,
);

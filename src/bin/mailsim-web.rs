//! The browser build's entry (tools/web.sh builds it for wasm32): the window in the page's
//! canvas, which the page hands its scenarios. Built natively it only says where it belongs.

#[cfg(target_arch = "wasm32")]
fn main() {
    mailsim::app::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "mailsim-web is the browser build: tools/web.sh builds it for wasm32 into dist/; \
         natively, run `mailsim`"
    );
    std::process::exit(2);
}

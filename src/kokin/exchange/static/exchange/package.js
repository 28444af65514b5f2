// The password-protected ZIP: the typed-password fields show only when 「自分で入力する」 is chosen,
// and the generated password has a copy button. Without JavaScript every field shows (the server
// ignores typed passwords when 自動生成 is chosen) and the password is copied by hand.
(function () {
  "use strict";

  function followMode(form) {
    var typed = form.querySelector(".typed-password");
    var radios = form.querySelectorAll('input[name="password_mode"]');
    if (!typed || !radios.length) {
      return;
    }
    function update() {
      var chosen = form.querySelector('input[name="password_mode"]:checked');
      typed.hidden = !chosen || chosen.value !== "typed";
    }
    radios.forEach(function (radio) {
      radio.addEventListener("change", update);
    });
    update();
  }

  function copyButton(button) {
    var source = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector(".copy-status");
    if (!source) {
      return;
    }
    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { say("コピーしました。"); },
          function () { say("コピーできませんでした。表示されたパスワードを選択してコピーしてください。"); }
        );
        return;
      }
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say(document.execCommand("copy") ? "コピーしました。" : "選択しました。Ctrl+C でコピーしてください。");
    });
  }

  document.querySelectorAll("form.package").forEach(followMode);
  document.querySelectorAll("button.copy[data-copy]").forEach(copyButton);
})();

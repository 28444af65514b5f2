/*
 * kokin: WebAuthn security keys and passkeys — registration (認証設定) and the second step of login (本人確認).
 *
 * The page's Content-Security-Policy allows no inline script, so nothing is wired in the HTML: a page
 * marks a section with
 *   data-webauthn-ceremony="register" | "authenticate"
 *   data-begin-url, data-complete-url   the two JSON endpoints of the ceremony
 *   data-csrf-token                     Django's CSRF token (the CSRF cookie is HttpOnly)
 * and puts a button [data-webauthn-start], a status line [data-webauthn-status] and, for registration,
 * a name field [data-webauthn-name] inside it. This file finds such sections and adds the listeners.
 */
(function () {
  "use strict";

  var MESSAGES = {
    unsupported: "このブラウザはセキュリティキー・パスキー (WebAuthn) に対応していません。",
    waiting: "セキュリティキーに触れるか、パスキーを選んでください…",
    cancelled: "操作が取り消されたか、時間切れになりました。もう一度お試しください。",
    duplicate: "このセキュリティキーは登録済みです。",
    insecure: "このアドレスではセキュリティキーを使えません。HTTPS の正しいアドレスで開いてください。",
    failed: "セキュリティキーの操作に失敗しました。もう一度お試しください。",
    registered: "登録しました。",
    verified: "確認しました。",
  };

  // --- base64url <-> ArrayBuffer (WebAuthn's binary fields travel as base64url in JSON) ----------

  function base64urlToBuffer(value) {
    var base64 = String(value).replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function bufferToBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return window.btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: base64urlToBuffer(c.id) });
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: base64urlToBuffer(json.challenge),
      user: Object.assign({}, json.user, { id: base64urlToBuffer(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: base64urlToBuffer(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }

  function common(credential) {
    return {
      id: credential.id,
      rawId: bufferToBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults:
        typeof credential.getClientExtensionResults === "function" ? credential.getClientExtensionResults() : {},
    };
  }

  function registrationJSON(credential) {
    var r = credential.response;
    return Object.assign(common(credential), {
      response: {
        clientDataJSON: bufferToBase64url(r.clientDataJSON),
        attestationObject: bufferToBase64url(r.attestationObject),
        transports: typeof r.getTransports === "function" ? r.getTransports() : [],
      },
    });
  }

  function assertionJSON(credential) {
    var r = credential.response;
    return Object.assign(common(credential), {
      response: {
        clientDataJSON: bufferToBase64url(r.clientDataJSON),
        authenticatorData: bufferToBase64url(r.authenticatorData),
        signature: bufferToBase64url(r.signature),
        userHandle: r.userHandle ? bufferToBase64url(r.userHandle) : null,
      },
    });
  }

  // --- the ceremony ------------------------------------------------------------------------------

  function post(url, csrfToken, body) {
    return window
      .fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
        body: JSON.stringify(body || {}),
      })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return { ok: response.ok, data: data };
          });
      });
  }

  function describe(error, ceremony) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError") {
      return MESSAGES.cancelled;
    }
    if (name === "InvalidStateError" && ceremony === "register") {
      return MESSAGES.duplicate;
    }
    if (name === "SecurityError") {
      return MESSAGES.insecure;
    }
    return MESSAGES.failed;
  }

  function start(section) {
    var ceremony = section.getAttribute("data-webauthn-ceremony");
    var csrfToken = section.getAttribute("data-csrf-token") || "";
    var button = section.querySelector("[data-webauthn-start]");
    var status = section.querySelector("[data-webauthn-status]");

    function say(text, isError) {
      if (status) {
        status.textContent = text;
        status.classList.toggle("error", Boolean(isError));
      }
    }

    // a refusal from the server: show its (Japanese) message, and follow it if it says where to go
    function refused(data) {
      say((data && data.error) || MESSAGES.failed, true);
      if (data && data.redirect) {
        window.location.assign(data.redirect);
      }
      return null;
    }

    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(MESSAGES.unsupported, true);
      return;
    }
    if (button) {
      button.disabled = true;
    }
    say(MESSAGES.waiting, false);
    post(section.getAttribute("data-begin-url"), csrfToken, {})
      .then(function (begin) {
        if (!begin.ok) {
          return refused(begin.data);
        }
        if (ceremony === "register") {
          return navigator.credentials.create({ publicKey: creationOptions(begin.data) }).then(function (credential) {
            var name = section.querySelector("[data-webauthn-name]");
            return { credential: registrationJSON(credential), name: name ? name.value : "" };
          });
        }
        return navigator.credentials.get({ publicKey: requestOptions(begin.data) }).then(function (credential) {
          return { credential: assertionJSON(credential) };
        });
      })
      .then(function (body) {
        if (!body) {
          return null;
        }
        return post(section.getAttribute("data-complete-url"), csrfToken, body).then(function (done) {
          if (!done.ok) {
            return refused(done.data);
          }
          say(ceremony === "register" ? MESSAGES.registered : MESSAGES.verified, false);
          window.location.assign(done.data.redirect || "/");
          return null;
        });
      })
      .catch(function (error) {
        say(describe(error, ceremony), true);
      })
      .then(function () {
        if (button) {
          button.disabled = false;
        }
      });
  }

  function wire() {
    var sections = document.querySelectorAll("[data-webauthn-ceremony]");
    Array.prototype.forEach.call(sections, function (section) {
      var button = section.querySelector("[data-webauthn-start]");
      if (button) {
        button.addEventListener("click", function () {
          start(section);
        });
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();

// The account page (account.html): sign up, confirm, sign in, reset the password, sign out (web/auth.js).
import { renderAuth } from "./auth.js";

renderAuth(document.getElementById("auth"));

// Loaded in <head>, before the first paint: the `js` class lets the CSS show the phone
// menu's button and fold the menu only when a script can unfold it again.
document.documentElement.classList.add("js");

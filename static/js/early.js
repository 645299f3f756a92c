/* Runs before the first paint (not deferred): styles that depend on JavaScript apply at once. */
document.documentElement.classList.add("js");

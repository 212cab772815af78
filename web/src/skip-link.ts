/**
 * The "Skip to content" link. Following its `href="#main"` would change the address (and once
 * made App read the fragment as an invite); the router owns the path, so the link only moves
 * keyboard focus to the screen's <main>, which needs a tabindex to take focus.
 */
export function skipToMain(ev: Pick<Event, 'preventDefault'>, doc: Pick<Document, 'getElementById'> = document): void {
  ev.preventDefault();
  const main = doc.getElementById('main');
  if (!main) return;
  if (!main.hasAttribute('tabindex')) main.setAttribute('tabindex', '-1');
  main.focus();
}

/**
 * The UI's only script, served as /static/ui-<hash>.js (assets.ts) under `script-src 'self'`.
 * Progressive: every page works without it; it only shows the copy buttons and makes them copy.
 */
export const SCRIPT = `
for (const button of document.querySelectorAll('button[data-copy]')) {
  const target = document.getElementById(button.getAttribute('data-copy'));
  if (!target || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(target.textContent);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy';
    }
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  });
}
`;

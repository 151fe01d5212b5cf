// Builds the Escalate app into desktop/dist/ (index.html, app.js, app.css) with esbuild, and the
// local Agent Workspace stand-in (`make serve`'s /workspace/, never deployed) into desktop/dist-workspace/.
//   node desktop/build.mjs
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));

async function bundle(entry, outdir, pages) {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { app: entry },
    outdir,
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    legalComments: "none",
    logLevel: "warning",
  });
  for (const page of pages) {
    copyFileSync(join(dirname(entry), page), join(outdir, page));
  }
}

await bundle(join(here, "src", "main.ts"), join(here, "dist"), ["index.html", "app.css"]);
await bundle(join(here, "workspace-host", "host.ts"), join(here, "dist-workspace"), ["index.html"]);

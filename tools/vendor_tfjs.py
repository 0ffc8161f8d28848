"""Vendor TensorFlow.js and its WASM backend from the npm registry into the site (never a CDN at read time).

    python tools/vendor_tfjs.py VERSION OUT_DIR

Writes tf.min.js, tf-backend-wasm.min.js and wasm-binaries.js: the backend's two WebAssembly binaries (with
and without SIMD) as data: URLs, because a page opened from disk may not fetch a file next to it."""
import base64
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

WASM = ("tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm")


def main(version: str, out: str) -> None:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", f"@tensorflow/tfjs@{version}",
                        f"@tensorflow/tfjs-backend-wasm@{version}"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        with tarfile.open(Path(tmp) / f"tensorflow-tfjs-{version}.tgz") as t:
            (out_dir / "tf.min.js").write_bytes(t.extractfile("package/dist/tf.min.js").read())
        with tarfile.open(Path(tmp) / f"tensorflow-tfjs-backend-wasm-{version}.tgz") as t:
            read = lambda name: t.extractfile(f"package/dist/{name}").read()
            (out_dir / "tf-backend-wasm.min.js").write_bytes(read("tf-backend-wasm.min.js"))
            urls = {n: "data:application/wasm;base64," + base64.b64encode(read(n)).decode() for n in WASM}
    head = f"// TensorFlow.js {version}'s WASM backend binaries, vendored by tools/vendor_tfjs.py\n"
    (out_dir / "wasm-binaries.js").write_text(head + f"window.TFJS_WASM_BINARIES = {json.dumps(urls)};\n")


if __name__ == "__main__":
    main(*sys.argv[1:])

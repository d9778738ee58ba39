"""Loads one planted file the way torch does (scan-check.sh), to show the planted call runs.

    python scan_load.py export|torch_load|pickle_load FILE [TORCHBIND_LIBRARY]

Prints one line: `loaded`, or `failed: <exception>` (a planted call runs before most
failures, so the marker is what scan-check.sh looks at, not this line).
"""
import pickle
import sys
import warnings

warnings.simplefilter("ignore")


def main() -> None:
    how, path = sys.argv[1], sys.argv[2]
    try:
        if how == "pickle_load":
            with open(path, "rb") as f:
                pickle.load(f)
        else:
            import torch

            if len(sys.argv) > 3:
                sys.path.insert(0, __file__.rsplit("/", 1)[0] + "/scan_torchbind")
                from export import register

                register(sys.argv[3])
            if how == "export":
                if "opaque" in path:
                    sys.path.insert(0, __file__.rsplit("/", 1)[0])
                    import graphsig_opaque  # noqa: F401  (registers the opaque class)
                torch.export.load(path)
            else:
                torch.load(path, weights_only=False)
        print("loaded")
    except Exception as e:  # noqa: BLE001
        print(f"failed: {type(e).__name__}: {str(e)[:200]}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Tests of twin.py's keras_protocol_key, the key under which `--keras-from` reuses a Keras
curve from another twin folder. It must name every setting the Keras twin reads and the bytes
of every frozen layer, and nothing else: two runs with equal keys must get the same Keras
curve, two runs with different Keras protocols must never share one.

Needs only the standard library (twin.py imports Keras inside the functions that train), so
it runs in CI beside scripts/test_repro_data.py.

    python3 benchmarks/twin/test_twin.py
"""
import json
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import twin  # noqa: E402


def convnet_record(**training):
    run = {"dataset": "cifar10", "model": "convnet", "filters": [4, 15], "seed": 1, "kind": "classify",
           "data": {"preprocessing": "raw-noise"},
           "training": dict({"optimizer": "adam", "learningRate": 0.001, "batchSize": 128, "epochs": 50,
                             "init": "glorot-uniform"}, **training)}
    return {"run": run, "status": "ok"}


class KerasProtocolKeyTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def dmn_record(self, name, conv=b"\x00\x01\x02\x03", softmax=b"\x09\x09", activation="none"):
        """A DMN run file with its weights folder, as repro writes them (only the bytes matter)."""
        folder = self.dir / f"{name}.weights"
        folder.mkdir()
        (folder / "conv1.w.npy").write_bytes(conv)
        (folder / "standardize1.mean.npy").write_bytes(b"\x05")
        (folder / "softmax.w.npy").write_bytes(softmax)
        rec = convnet_record()
        rec["run"]["model"] = "dmn"
        rec["run"]["dmn"] = {"activation": activation, "tpc": 0.9}
        rec["weights"] = {"directory": folder.name, "arrays": [
            {"name": "conv1.w", "file": "conv1.w.npy"}, {"name": "standardize1.mean", "file": "standardize1.mean.npy"},
            {"name": "softmax.w", "file": "softmax.w.npy"}]}
        rec["_path"] = self.dir / f"{name}.json"
        return rec

    def test_repro_only_settings_do_not_change_the_key(self):
        # training.loss is repro's (Keras always trains with its own clipped loss in the twin).
        a = twin.keras_protocol_key(convnet_record(loss="logits"))
        b = twin.keras_protocol_key(convnet_record(loss="keras-clipped"))
        self.assertEqual(a, b)

    def test_every_setting_keras_reads_changes_the_key(self):
        base = twin.keras_protocol_key(convnet_record())
        variants = [convnet_record(init="he"), convnet_record(batchSize=64), convnet_record(epochs=3),
                    convnet_record(learningRate=0.01), convnet_record(optimizer="sgd"), convnet_record(batchNorm=True)]
        for field, value in [("seed", 2), ("dataset", "mnist"), ("filters", [4])]:
            r = convnet_record()
            r["run"][field] = value
            variants.append(r)
        r = convnet_record()
        r["run"]["data"] = {"preprocessing": "scale"}
        variants.append(r)
        keys = [twin.keras_protocol_key(v) for v in variants]
        self.assertNotIn(base, keys)
        self.assertEqual(len(set(keys)), len(keys), "each change gives its own key")

    def test_defaults_compare_equal_to_their_explicit_values(self):
        # A run file written before a key existed holds no value: the default Keras would use.
        implicit = convnet_record()
        del implicit["run"]["training"]["batchSize"]
        explicit = convnet_record(batchSize=64)
        self.assertEqual(twin.keras_protocol_key(implicit), twin.keras_protocol_key(explicit))

    def test_frozen_layers_by_content_softmax_excluded(self):
        a = twin.keras_protocol_key(self.dmn_record("a"))
        # Another softmax (repro trained its own): the Keras twin trains a fresh one, same key.
        self.assertEqual(a, twin.keras_protocol_key(self.dmn_record("b", softmax=b"\x01")))
        # One byte of a frozen filter: another network, another key.
        self.assertNotEqual(a, twin.keras_protocol_key(self.dmn_record("c", conv=b"\x00\x01\x02\x04")))
        # The activation after the frozen conv is part of the network Keras builds.
        self.assertNotEqual(a, twin.keras_protocol_key(self.dmn_record("d", activation="relu")))

    def test_key_is_json_with_sorted_keys(self):
        key = twin.keras_protocol_key(convnet_record())
        parsed = json.loads(key)
        self.assertEqual(key, json.dumps(parsed, sort_keys=True))
        self.assertNotIn("loss", parsed)


class StuckTests(unittest.TestCase):
    """A run is stuck when its test accuracy stays at chance (within 1 point) at every epoch:
    what the summary counts per framework."""

    def test_at_chance_throughout_is_stuck(self):
        self.assertTrue(twin.stuck([0.1] * 50, 10))
        self.assertTrue(twin.stuck([0.1] * 49 + [0.1003], 10), "one epoch a few images off chance")
        self.assertTrue(twin.stuck([0.01, 0.0195], 100))

    def test_a_run_that_leaves_chance_is_not(self):
        self.assertFalse(twin.stuck([0.1] * 49 + [0.111], 10), "1.1 points above chance once")
        self.assertFalse(twin.stuck([0.25, 0.31, 0.30], 10))
        self.assertFalse(twin.stuck([0.1, 0.1], 100), "10% is far above chance with 100 classes")

    def test_one_epoch_or_missing_epochs_decide_nothing(self):
        self.assertFalse(twin.stuck([0.1], 10))
        self.assertFalse(twin.stuck([float("nan"), 0.1], 10))
        self.assertTrue(twin.stuck([0.1, float("nan"), 0.1], 10))


if __name__ == "__main__":
    unittest.main()

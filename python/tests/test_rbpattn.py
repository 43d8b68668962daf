"""Tests of the rbpattn Python package (run by ctest as python_rbpattn; or by hand:
RBPATTN_LIBRARY=build/librbpattn.so PYTHONPATH=python python3 -m unittest discover -s python/tests).

Optional environment (set by ctest): RBPATTN_PREDICT (the rbpattn-predict program, for the
comparison with C), RBPATTN_LAYOUT_CHECK (the program gen_layout.py --c generates),
RBPATTN_PROJECT_VERSION (CMake's version of the project)."""
import ctypes as C
import gc
import math
import os
import random
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import rbpattn
from rbpattn import _layout, _lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_DATA = os.path.join(ROOT, "tests", "data")
PUM2_TEST = os.path.join(ROOT, "data", "pum2", "test.fa.gz")
MOTIF = "UGCAUG"


def planted(n, length=24, seed=1):
    """Random sequences, half with MOTIF planted; labels say whether it is there."""
    rng = random.Random(seed)
    seqs, ys = [], []
    for _ in range(n):
        s = [rng.choice("ACGU") for _ in range(length)]
        if rng.random() < 0.5:
            p = rng.randrange(length - len(MOTIF) + 1)
            s[p:p + len(MOTIF)] = MOTIF
        s = "".join(s)
        seqs.append(s)
        ys.append(1.0 if MOTIF in s else 0.0)
    return seqs, np.array(ys, dtype=np.float32)


def tiny(**kw):
    cfg = dict(seq_len=24, dropout=0.0)
    cfg.update(kw)
    return rbpattn.Model("tiny", **cfg)


FAST = dict(batch_size=32, schedule="constant", lr=3e-3, warmup_steps=0)


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


class TestLibrary(unittest.TestCase):
    def test_versions(self):
        self.assertEqual(rbpattn.version(), rbpattn.__version__)
        want = os.environ.get("RBPATTN_PROJECT_VERSION")
        if want:
            self.assertEqual(rbpattn.__version__, want, "python/rbpattn/__init__.py __version__ vs CMakeLists.txt")
            with open(os.path.join(ROOT, "CITATION.cff")) as f:
                self.assertIn(f"\nversion: {want}\n", f.read(), "CITATION.cff version vs CMakeLists.txt")
        self.assertTrue(os.path.exists(rbpattn.library_path))

    def test_threads_and_backend(self):
        before = rbpattn.get_num_threads()
        rbpattn.set_num_threads(2)
        self.assertEqual(rbpattn.get_num_threads(), 2)
        rbpattn.set_num_threads(before)
        with self.assertRaises(rbpattn.Error) as cm:
            rbpattn.set_num_threads(0)
        self.assertEqual(cm.exception.status, _layout.RBP_ERR_INVALID_ARG)
        self.assertEqual(cm.exception.status_name, "invalid argument")
        self.assertIn(rbpattn.gemm_backend(), ("BLAS", "built-in AVX-512", "built-in AVX2"))
        self.assertIsInstance(rbpattn.has_metadata(), bool)

    def test_every_public_name_documented(self):
        for name in rbpattn.__all__:
            obj = getattr(rbpattn, name)
            if callable(obj):
                self.assertTrue(obj.__doc__, name)
        for cls in (rbpattn.Model, rbpattn.Dataset):
            for name, member in vars(cls).items():
                if not name.startswith("_"):
                    self.assertTrue(getattr(member, "__doc__", None), f"{cls.__name__}.{name}")

    def test_prototypes_bound(self):
        # Every function of the headers is in this library (it is the one they were built with).
        self.assertEqual(_lib.missing, set())

    @unittest.skipUnless(os.environ.get("RBPATTN_LAYOUT_CHECK"), "RBPATTN_LAYOUT_CHECK not set")
    def test_layout_matches_c(self):
        c = {}
        for line in subprocess.run([os.environ["RBPATTN_LAYOUT_CHECK"]], capture_output=True, text=True,
                                   check=True).stdout.splitlines():
            k, v = line.split()
            c[k] = int(v)
        checked = 0
        for k, v in c.items():
            if "." in k:
                s, f = k.split(".")
                self.assertEqual(getattr(getattr(_layout, s), f).offset, v, k)
            elif hasattr(getattr(_layout, k), "_fields_"):
                self.assertEqual(C.sizeof(getattr(_layout, k)), v, k)
            else:
                self.assertEqual(getattr(_layout, k), v, k)
            checked += 1
        self.assertGreater(checked, 100)


class TestLookup(unittest.TestCase):
    """$RBPATTN_LIBRARY, the package's directory, pkg-config, in that order (in subprocesses)."""

    def run_py(self, env, code="import rbpattn; print(rbpattn.library_path)", path=None):
        e = {k: v for k, v in os.environ.items() if k not in ("RBPATTN_LIBRARY", "PKG_CONFIG_PATH")}
        e.update(env)
        e["PYTHONPATH"] = path or os.path.dirname(os.path.dirname(rbpattn.__file__))
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e)

    def test_env_file_and_dir(self):
        lib = os.path.realpath(rbpattn.library_path)
        self.assertEqual(self.run_py({"RBPATTN_LIBRARY": lib}).stdout.strip(), lib)
        d = os.path.dirname(lib)
        out = self.run_py({"RBPATTN_LIBRARY": d}).stdout.strip()
        self.assertEqual(out, os.path.join(d, _lib.SONAME))

    def test_env_wrong_is_an_error(self):
        r = self.run_py({"RBPATTN_LIBRARY": "/nonexistent/librbpattn.so"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("RBPATTN_LIBRARY", r.stderr)
        self.assertIn("/nonexistent/librbpattn.so", r.stderr)

    def test_package_dir_then_pkg_config(self):
        lib = os.path.realpath(rbpattn.library_path)
        with tempfile.TemporaryDirectory() as tmp:
            pkg = os.path.join(tmp, "rbpattn")
            os.mkdir(pkg)
            src = os.path.dirname(rbpattn.__file__)
            for f in os.listdir(src):
                if f.endswith(".py"):
                    with open(os.path.join(src, f)) as a, open(os.path.join(pkg, f), "w") as b:
                        b.write(a.read())
            pc = os.path.join(tmp, "pc")
            os.mkdir(pc)
            with open(os.path.join(pc, "rbpattn.pc"), "w") as f:
                f.write(f"libdir={os.path.dirname(lib)}\nName: rbpattn\nDescription: test\nVersion: 0\nLibs: -lrbpattn\n")
            r = self.run_py({"PKG_CONFIG_PATH": pc}, path=tmp)
            if subprocess.run(["pkg-config", "--version"], capture_output=True).returncode == 0:
                self.assertEqual(r.stdout.strip(), os.path.join(os.path.dirname(lib), _lib.SONAME), r.stderr)
            os.symlink(lib, os.path.join(pkg, _lib.SONAME))
            r = self.run_py({"PKG_CONFIG_PATH": pc}, path=tmp)
            self.assertEqual(r.stdout.strip(), os.path.join(pkg, _lib.SONAME), r.stderr)


class TestDataset(unittest.TestCase):
    def test_from_sequences_arrays(self):
        with rbpattn.Dataset.from_sequences(["ACGU", "tgNa", "AC"], targets=[1, 0, 0.5], ids=["a", "b", "c"]) as ds:
            self.assertEqual(len(ds), 3)
            self.assertEqual(ds.length, 4)
            t = ds.tokens
            self.assertEqual((t.shape, t.dtype), ((3, 4), np.uint8))
            np.testing.assert_array_equal(t, [[0, 1, 2, 3], [3, 2, 4, 0], [0, 1, 5, 5]])
            np.testing.assert_array_equal(ds.mask, [[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 0, 0]])
            self.assertEqual(ds.mask.dtype, np.uint8)
            self.assertEqual(ds.viewpoint.shape, (3, 4))
            self.assertIsNone(ds.structure)
            self.assertFalse(ds.has_structure)
            y = ds.targets
            self.assertEqual((y.shape, y.dtype), ((3,), np.float32))
            np.testing.assert_array_equal(y, [1, 0, 0.5])
            self.assertEqual(ds.ids, ["a", "b", "c"])
            self.assertEqual(ds.count_positive(), 1)
            oh = ds.one_hot()
            self.assertEqual((oh.shape, oh.dtype), ((3, 4, 4), np.float32))
            np.testing.assert_array_equal(oh[0], np.eye(4))
            np.testing.assert_array_equal(oh[1, 2], [0.25] * 4)
            np.testing.assert_array_equal(oh[2, 2:], 0)
            self.assertEqual(ds.one_hot(np.float64).dtype, np.float64)
            self.assertIn("3 records", repr(ds))

    def test_options(self):
        ds = rbpattn.Dataset.from_sequences(["ACGUACGU"], length=4, truncate="left")
        np.testing.assert_array_equal(ds.tokens, [[0, 1, 2, 3]])
        self.assertEqual(rbpattn.Dataset.from_sequences(["AC", "G"]).ids, ["seq1", "seq2"])
        with self.assertRaises(rbpattn.Error) as cm:
            rbpattn.Dataset.from_sequences(["ACGUACGU"], length=4, truncate="error")
        self.assertEqual(cm.exception.status, _layout.RBP_ERR_FORMAT)
        with self.assertRaises(ValueError):
            rbpattn.Dataset.from_sequences(["ACGU"], truncate="middle")
        with self.assertRaises(TypeError):
            rbpattn.Dataset.from_sequences(["ACGU"], lenght=4)

    def test_errors(self):
        with self.assertRaises(rbpattn.Error) as cm:
            rbpattn.Dataset.from_sequences(["ACGU", "ACXU"])
        self.assertEqual(cm.exception.status, _layout.RBP_ERR_FORMAT)
        self.assertIn("sequences[1]", str(cm.exception))
        self.assertIn("X", str(cm.exception))
        with self.assertRaises(rbpattn.Error) as cm:
            rbpattn.Dataset.from_fasta("/nonexistent/x.fa")
        self.assertEqual(cm.exception.status, _layout.RBP_ERR_IO)
        self.assertIn("/nonexistent/x.fa", str(cm.exception))
        with self.assertRaises(ValueError):
            rbpattn.Dataset.from_sequences(["ACGU"], targets=[1, 2])
        with self.assertRaises(ValueError):
            rbpattn.Dataset.from_sequences(["ACGU"], ids=["a", "b"])
        with self.assertRaises(ValueError):
            rbpattn.Dataset.from_sequences([])
        with self.assertRaises(TypeError):
            rbpattn.Dataset.from_sequences("ACGU")

    def test_files(self):
        fa = os.path.join(TEST_DATA, "rbp31", "PUM2_training_sample_0_first200.fa.gz")
        ds = rbpattn.Dataset.from_fasta(fa)
        self.assertEqual(len(ds), 200)
        self.assertTrue(set(np.unique(ds.targets)) <= {0.0, 1.0})
        self.assertEqual(ds.one_hot().shape, (200, ds.length, 4))
        csv = rbpattn.Dataset.from_file(os.path.join(TEST_DATA, "csv", "study_format.csv"),
                                        structure_column="structure")
        self.assertTrue(csv.has_structure)
        self.assertEqual(csv.structure.shape, (len(csv), csv.length))
        gp = os.path.join(TEST_DATA, "graphprot")
        pair = rbpattn.Dataset.from_pair(os.path.join(gp, "testclip.train.positives.fa"),
                                         os.path.join(gp, "testclip.train.negatives.fa"))
        self.assertGreater(pair.count_positive(), 0)
        self.assertLess(pair.count_positive(), len(pair))

    def test_subset_split_close(self):
        seqs, ys = planted(100)
        ds = rbpattn.Dataset.from_sequences(seqs, ys)
        sub = ds.subset([3, 1, 3])
        np.testing.assert_array_equal(sub.tokens, ds.tokens[[3, 1, 3]])
        tr, va, te = ds.split(0.6, 0.2, seed=3)
        self.assertEqual(len(tr) + len(va) + len(te), 100)
        tr2, va2, te2 = ds.split(0.5)
        self.assertIsNone(va2)
        self.assertEqual(len(tr2) + len(te2), 100)
        with self.assertRaises(rbpattn.Error):
            ds.subset([100])
        ds.close()
        ds.close()  # idempotent
        with self.assertRaises(ValueError):
            len(ds)
        self.assertIn("closed", repr(ds))
        self.assertEqual(len(sub), 3)  # independent of the parent


class TestModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.seqs, cls.ys = planted(1200)
        cls.ds = rbpattn.Dataset.from_sequences(cls.seqs, cls.ys)
        cls.model = tiny()
        cls.history = cls.model.fit(cls.ds, epochs=3, **FAST)

    def test_config_and_presets(self):
        m = rbpattn.Model()  # the "default" preset, as rbpattn-train
        c = m.config
        self.assertEqual((c["seq_len"], c["d_model"], c["task"], c["pooling"], c["conv_kernel"]),
                         (101, 32, "classification", "mean", 9))
        c = rbpattn.Model("study").config
        self.assertEqual((c["seq_len"], c["d_model"], c["pooling"], c["conv_kernel"]), (101, 64, "flatten", 0))
        self.assertGreater(m.num_params, 0)
        s = rbpattn.Model("small", seq_len=50, task="regression", pooling="mean", norm="pre", activation="gelu")
        c = s.config
        self.assertEqual((c["d_model"], c["seq_len"], c["task"], c["pooling"], c["norm"], c["activation"]),
                         (32, 50, "regression", "mean", "pre", "gelu"))
        self.assertEqual(rbpattn.Model({"seq_len": 30, "d_model": 8, "n_heads": 2}).config["d_model"], 8)
        self.assertEqual(list(rbpattn.PRESETS), ["default", "study", "small", "tiny"])
        self.assertIn("RBP-31", rbpattn.PRESETS["default"])
        self.assertEqual(rbpattn.PRESET_MEMBERS, {"default": 2, "study": 1, "small": 1, "tiny": 1})
        self.assertEqual(rbpattn.Model(s.config).config, c)  # a config dict round-trips
        self.assertIn("L=24", repr(self.model))

    def test_bundled_models(self):
        found = rbpattn.bundled_models()
        self.assertGreater(len(found), 0)
        name, path = next(iter(found.items()))
        self.assertEqual(rbpattn.find_model(name.lower()), path)  # names ignore case
        with rbpattn.Model.load(name) as m:
            self.assertEqual(m.metadata["name"], name)
            self.assertGreater(m.metadata["test.auc"], 0.5)
        with self.assertRaises(rbpattn.Error) as cm:
            rbpattn.Model.load("NoSuchProtein")
        self.assertIn("no bundled model named 'NoSuchProtein'", str(cm.exception))

    def test_config_errors(self):
        with self.assertRaises(rbpattn.Error) as cm:
            rbpattn.Model(d_model=30, n_heads=4)
        self.assertIn("d_model (--d-model) is not a multiple of n_heads", str(cm.exception))
        self.assertEqual(cm.exception.status, _layout.RBP_ERR_INVALID_ARG)
        with self.assertRaises(ValueError):
            rbpattn.Model("huge")
        with self.assertRaises(TypeError):
            rbpattn.Model(layers=3)
        with self.assertRaises(ValueError):
            rbpattn.Model(pooling="sum")

    def test_trained(self):
        self.assertEqual(len(self.history), 3)
        h = self.history[-1]
        self.assertEqual((h["epoch"], h["epochs"]), (2, 3))
        self.assertTrue(math.isnan(h["val_loss"]))
        p = self.model.predict(self.ds)
        self.assertGreater(rbpattn.roc_auc(p, self.ys), 0.6)

    def test_predict(self):
        m = self.model
        p = m.predict(self.ds)
        self.assertEqual((p.shape, p.dtype), ((1200,), np.float32))
        self.assertTrue(np.all((p > 0) & (p < 1)))
        # Sequences are encoded as the dataset was; a batch of another size may round differently
        # in the BLAS (bit identity holds for the same batches), hence a tolerance.
        np.testing.assert_allclose(m.predict(self.seqs[:5]), p[:5], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(m.predict(self.seqs[0]), p[:1], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(m.predict(self.seqs, batch_size=256), p)
        logits = m.predict(self.ds, logits=True)
        np.testing.assert_allclose(1 / (1 + np.exp(-logits.astype(np.float64))), p, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(m.predict(self.ds, threads=3, batch_size=64), m.predict(self.ds, batch_size=64))
        short = m.predict(["ACGU"])  # padded to the model's length
        self.assertEqual(short.shape, (1,))
        enc = m.encode(["ACGUACGUACGUACGUACGUACGUACGU", "AC"])
        self.assertEqual((len(enc), enc.length), (2, 24))  # truncated and padded to seq_len
        self.assertEqual(m.predict(enc).shape, (2,))
        opt, _ = m.dataset_options(truncate="left")
        self.assertEqual((opt.length, opt.truncate, opt.require_target), (24, _layout.RBP_TRUNCATE_LEFT, 0))

    def test_predict_errors(self):
        with rbpattn.Dataset.from_sequences(["ACGU"]) as wrong:
            with self.assertRaises(rbpattn.Error) as cm:
                self.model.predict(wrong)
            self.assertEqual(cm.exception.status, _layout.RBP_ERR_SHAPE)
        with self.assertRaises(rbpattn.Error):
            self.model.predict(["ACGZ"])
        with self.assertRaises(rbpattn.Error):
            self.model.predict(self.ds, threads=0)
        with self.assertRaises(rbpattn.Error):
            self.model.predict(self.ds, batch_size=0)
        with self.assertRaises(ValueError):
            self.model.predict([])
        with self.assertRaises(TypeError):
            self.model.predict(self.ds, length=3)

    def test_attention_saliency(self):
        m = self.model
        a = m.attention(self.seqs[0])
        self.assertEqual((a.shape, a.dtype), ((1, 2, 24, 24), np.float32))
        np.testing.assert_allclose(a.sum(axis=-1), 1, atol=1e-5)
        np.testing.assert_array_equal(m.attention(self.ds, index=0), a)
        short = m.attention("ACGUACGU")
        np.testing.assert_array_equal(short[..., 8:], 0)  # padded keys
        self.assertEqual(m.attention("ACGUACGU", crop=True).shape, (1, 2, 8, 8))
        with self.assertRaises(rbpattn.Error):
            m.attention(self.ds, index=5000)
        with self.assertRaises(ValueError):
            m.attention("ACGU", index=1)
        roll, imp = rbpattn.attention_rollout(a)
        self.assertEqual((roll.shape, imp.shape, imp.dtype), ((24, 24), (24,), np.float32))
        self.assertAlmostEqual(float(imp.sum()), 1.0, places=4)
        with self.assertRaises(ValueError):
            rbpattn.attention_rollout(a[0])
        with self.assertRaises(rbpattn.Error):
            rbpattn.attention_rollout(a, residual=2.0)
        s = m.saliency(self.seqs[:70], batch_size=32)
        self.assertEqual((s.shape, s.dtype), ((70, 24), np.float32))
        np.testing.assert_allclose(s[:3], m.saliency(self.seqs[:3]), rtol=1e-4, atol=1e-6)  # per-row values
        np.testing.assert_array_equal(s[32:64], m.saliency(self.seqs[32:64]))  # the same batch, bit for bit
        pad = m.saliency(["ACGU"])
        np.testing.assert_array_equal(pad[0, 4:], 0)
        self.assertTrue(np.any(pad[0, :4] != 0))

    def test_save_load(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.rbp")
            self.model.save(path)
            with rbpattn.Model.load(path) as m2:
                self.assertEqual(m2.config, self.model.config)
                np.testing.assert_array_equal(m2.predict(self.ds), self.model.predict(self.ds))
            with self.assertRaises(ValueError):
                m2.predict(self.ds)
            with open(path, "r+b") as f:
                f.seek(40)
                f.write(b"\xff\xff\xff\xff")
            with self.assertRaises(rbpattn.Error) as cm:
                rbpattn.Model.load(path)
            self.assertEqual(cm.exception.status, _layout.RBP_ERR_FORMAT)
            with self.assertRaises(rbpattn.Error) as cm:
                rbpattn.Model.load(os.path.join(tmp, "missing.rbp"))
            self.assertEqual(cm.exception.status, _layout.RBP_ERR_IO)
            with self.assertRaises(rbpattn.Error):
                self.model.save(os.path.join(tmp, "no", "such", "dir.rbp"))

    def test_ensemble(self):
        other = tiny(seed=5)  # same architecture, other weights
        with rbpattn.Model.ensemble([self.model, other]) as e:
            self.assertEqual((e.num_members, self.model.num_members), (2, 1))
            self.assertEqual(e.num_params, 2 * self.model.num_params)
            la = self.model.predict(self.ds, logits=True).astype(np.float64)
            lb = other.predict(self.ds, logits=True).astype(np.float64)
            np.testing.assert_allclose(e.predict(self.ds, logits=True), (la + lb) / 2, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(e.attention(self.seqs[0]),
                                       (self.model.attention(self.seqs[0]) + other.attention(self.seqs[0])) / 2,
                                       atol=1e-6)
            self.assertEqual(e.metadata["ensemble.members"], 2)
            with e.member(1) as back:
                self.assertEqual(back.num_members, 1)
                np.testing.assert_array_equal(back.predict(self.ds), other.predict(self.ds))
            with self.assertRaises(rbpattn.Error):
                e.member(2)
            with self.assertRaises(rbpattn.Error):  # a trainer takes single models
                e.fit(self.ds, epochs=1)
        with self.assertRaises(rbpattn.Error):  # another architecture
            rbpattn.Model.ensemble([self.model, tiny(d_ff=8)])
        with self.assertRaises(ValueError):
            rbpattn.Model.ensemble([])
        other.close()

    def test_fit_callbacks(self):
        m = tiny(seed=2)
        steps, epochs = [], []
        seen = m.fit(self.ds, val=self.ds.subset(range(200)), epochs=3, on_step=steps.append,
                     callback=lambda e: epochs.append(e) or True, **FAST)
        self.assertEqual(len(seen), 1)  # stopped after the first epoch
        self.assertEqual(len(epochs), 1)
        self.assertEqual(len(steps), math.ceil(1200 / 32))
        self.assertEqual(set(steps[0]), {"epoch", "step", "batch", "batches", "loss", "lr", "seqs_per_sec"})
        self.assertFalse(math.isnan(epochs[0]["val_auc"]))
        self.assertIsInstance(epochs[0]["improved"], bool)

        def boom(info):
            raise KeyError("from the callback")
        with self.assertRaises(KeyError):
            m.fit(self.ds, epochs=1, callback=boom, **FAST)
        with self.assertRaises(TypeError):
            m.fit(self.ds, epochs=1, batchsize=3)
        with self.assertRaises(rbpattn.Error) as cm:
            m.fit(self.ds, epochs=1, batch_size=0)
        self.assertIn("batch_size", str(cm.exception))
        with rbpattn.Dataset.from_sequences(["ACGU"], [1]) as wrong:
            with self.assertRaises(rbpattn.Error) as cm:
                m.fit(wrong, epochs=1)
            self.assertEqual(cm.exception.status, _layout.RBP_ERR_SHAPE)
        with rbpattn.Dataset.from_sequences(["A" * 24], [5]) as bad:
            with self.assertRaises(rbpattn.Error) as cm:
                m.fit(bad, epochs=1)
            self.assertIn("[0, 1]", str(cm.exception))
        # Predicting after training again works (the sessions were rebuilt).
        self.assertEqual(m.predict(self.seqs[:2]).shape, (2,))

    def test_fit_progress(self):
        m = tiny(seed=3)
        import io
        err, sys.stderr = sys.stderr, io.StringIO()
        try:
            m.fit(self.ds.subset(range(64)), epochs=2, progress=True, **FAST)
            text = sys.stderr.getvalue()
        finally:
            sys.stderr = err
        self.assertEqual(text.count("\n"), 2)  # not a terminal: one line per epoch, nothing else
        self.assertIn("epoch 2/2 train_loss", text)

    def test_metadata(self):
        m = tiny()
        self.assertEqual(m.file_format, 0 if rbpattn.has_metadata() else None)  # made in memory
        if not rbpattn.has_metadata():
            self.assertEqual(m.metadata, {})
            with self.assertRaises(rbpattn.Error) as cm:
                m.set_metadata("protein", "PUM2")
            self.assertIn("metadata", str(cm.exception))
            with self.assertRaises(rbpattn.Error):
                m.remove_metadata("protein")
            return
        m.set_metadata("protein", "PUM2")
        m.set_metadata("n", 3)
        m.set_metadata("auc", 0.5)
        md = m.metadata
        self.assertEqual((md["protein"], md["n"], md["auc"]), ("PUM2", 3, 0.5))
        with tempfile.TemporaryDirectory() as tmp:
            m.save(os.path.join(tmp, "m.rbp"))
            loaded = rbpattn.Model.load(os.path.join(tmp, "m.rbp"))
            md = loaded.metadata
            self.assertEqual(md["protein"], "PUM2")
            self.assertEqual(md["rbpattn.version"], rbpattn.version())  # written by the save
            self.assertGreaterEqual(loaded.file_format, 3)
        # fit records how the training data were encoded (subsets and splits keep it), and
        # predict reads it back
        self.assertEqual(self.model.metadata["encoding.length"], 24)
        sub = tiny()
        sub.fit(self.ds.subset(range(64)), epochs=1, **FAST)
        self.assertEqual(sub.metadata["encoding.truncate"], self.model.metadata["encoding.truncate"])
        opt, _ = self.model.dataset_options()
        self.assertEqual(opt.length, 24)
        m.remove_metadata("n")
        self.assertNotIn("n", m.metadata)
        with self.assertRaises(rbpattn.Error):
            m.set_metadata("bad key!", 1)
        with self.assertRaises(TypeError):
            m.set_metadata("x", [1])


class FakeMetaLib:
    """The metadata calls of librbpattn over a dict, to test the wrapper where the loaded
    library has no metadata yet."""

    def __init__(self, real, table):
        self._real, self.t = real, table

    def __getattr__(self, name):
        return getattr(self._real, name)

    def rbp_model_meta_count(self, p):
        return len(self.t)

    def rbp_model_meta_key(self, p, i):
        return sorted(self.t)[i]

    def rbp_model_meta_type(self, p, key):
        v = self.t[key]
        return (_layout.RBP_META_STRING if isinstance(v, bytes) else _layout.RBP_META_INT if isinstance(v, int)
                else _layout.RBP_META_DOUBLE)

    def _get(self, p, key, out):
        out._obj.value = self.t[key]
        return 0

    rbp_model_meta_get_string = rbp_model_meta_get_int = rbp_model_meta_get_double = _get

    def _set(self, p, key, value):
        self.t[key] = value
        return 0

    rbp_model_meta_set_string = rbp_model_meta_set_int = rbp_model_meta_set_double = _set

    def rbp_model_meta_remove(self, p, key):
        self.t.pop(key, None)
        return 0


class TestMetadataWrapper(unittest.TestCase):
    def test_dict_conversion(self):
        from rbpattn import model as mod
        table = {b"created": b"2026-12-01", b"train.n": 7, b"test.auc": 0.75}
        saved = mod.lib, mod.has
        mod.lib, mod.has = FakeMetaLib(saved[0], table), lambda name: True
        try:
            m = tiny()
            self.assertEqual(m.metadata, {"created": "2026-12-01", "train.n": 7, "test.auc": 0.75})
            m.set_metadata("protein", "PUM2")
            m.set_metadata("flag", True)
            m.set_metadata("x", np.float32(0.5))
            self.assertEqual((table[b"protein"], table[b"flag"], table[b"x"]), (b"PUM2", 1, 0.5))
            m.remove_metadata("flag")
            self.assertNotIn(b"flag", table)
        finally:
            mod.lib, mod.has = saved

    def test_library_without_metadata(self):
        from rbpattn import model as mod
        saved = mod.has
        mod.has = lambda name: not name.startswith(("rbp_model_meta_", "rbp_dataset_options_from_model",
                                                     "rbp_model_file_format"))
        try:
            m = tiny()
            self.assertEqual((m.metadata, m.file_format), ({}, None))
            with self.assertRaises(rbpattn.Error) as cm:
                m.set_metadata("protein", "PUM2")
            self.assertIn("no model metadata", str(cm.exception))
            opt, _ = m.dataset_options()  # the library's defaults with the model's length
            self.assertEqual((opt.length, opt.require_target), (24, 0))
            self.assertEqual(m.predict(["ACGU"]).shape, (1,))
        finally:
            mod.has = saved


class TestMetrics(unittest.TestCase):
    s = np.array([0.1, 0.4, 0.35, 0.8], dtype=np.float32)
    y = np.array([0, 0, 1, 1], dtype=np.float32)

    def test_values(self):
        self.assertAlmostEqual(rbpattn.roc_auc(self.s, self.y), 0.75)
        self.assertAlmostEqual(rbpattn.average_precision(self.s, self.y), 0.8333333333, places=6)
        self.assertAlmostEqual(rbpattn.accuracy(self.s, self.y), 0.75)
        self.assertAlmostEqual(rbpattn.accuracy(self.s, self.y, threshold=0.38), 0.5)
        self.assertAlmostEqual(rbpattn.mse(self.s, self.y), float(np.mean((self.s - self.y) ** 2)), places=6)
        self.assertAlmostEqual(rbpattn.pearson(self.s, self.y), float(np.corrcoef(self.s, self.y)[0, 1]), places=5)
        self.assertAlmostEqual(rbpattn.spearman([1, 2, 3, 4], [1, 3, 2, 4]), 0.8)
        self.assertAlmostEqual(rbpattn.r2([1, 2, 3], [1, 2, 3]), 1.0)
        ll = -np.mean(self.y * np.log(self.s) + (1 - self.y) * np.log(1 - self.s))
        self.assertAlmostEqual(rbpattn.log_loss(self.s, self.y), float(ll), places=5)
        fpr, tpr, th = rbpattn.roc_curve(self.s, self.y)
        self.assertEqual((fpr.dtype, len(fpr), len(tpr), len(th)), (np.float64, 5, 5, 5))
        self.assertEqual((fpr[0], tpr[0], fpr[-1], tpr[-1]), (0, 0, 1, 1))
        self.assertTrue(math.isinf(th[0]))
        prec, rec, th = rbpattn.pr_curve(self.s, self.y)
        self.assertEqual((rec[-1], prec[-1]), (0, 1))
        self.assertTrue(math.isinf(th[-1]))

    def test_errors(self):
        with self.assertRaises(rbpattn.Error) as cm:
            rbpattn.roc_auc([0.1, 0.2], [1, 1])
        self.assertEqual(cm.exception.status, _layout.RBP_ERR_INVALID_ARG)
        with self.assertRaises(rbpattn.Error):
            rbpattn.log_loss([2.0, 0.5], [1, 0])
        with self.assertRaises(rbpattn.Error):
            rbpattn.pearson([1, 1, 1], [1, 2, 3])
        with self.assertRaises(rbpattn.Error):
            rbpattn.roc_curve([0.5, float("nan")], [0, 1])
        with self.assertRaises(ValueError):
            rbpattn.roc_auc([0.1, 0.2, 0.3], [0, 1])


@unittest.skipUnless(os.environ.get("RBPATTN_PREDICT"), "RBPATTN_PREDICT (rbpattn-predict) not set")
class TestSameAsC(unittest.TestCase):
    """Python and rbpattn-predict give the same scores, bit for bit, on the same model and data."""

    def test_pum2(self):
        model = rbpattn.Model("tiny", seq_len=101, seed=4)
        train = rbpattn.Dataset.from_fasta(os.path.join(ROOT, "data", "pum2", "train.fa.gz"), length=101)
        model.fit(train.subset(range(0, 6000, 10)), epochs=1, **FAST)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "m.rbp")
            model.save(path)
            for threads in (1, 2):
                tsv = subprocess.run([os.environ["RBPATTN_PREDICT"], "-m", path, "--quiet", "--threads", str(threads),
                                      PUM2_TEST], capture_output=True, text=True, check=True).stdout.splitlines()
                self.assertEqual(tsv[0], "id\tscore")
                c_ids = [r.split("\t")[0] for r in tsv[1:]]
                c_scores = np.array([float(r.split("\t")[1]) for r in tsv[1:]], dtype=np.float32)
                loaded = rbpattn.Model.load(path)
                ids, scores = loaded.predict_file(PUM2_TEST, threads=threads)
                self.assertEqual(ids, c_ids)
                self.assertEqual(len(scores), 2000)
                np.testing.assert_array_equal(scores, c_scores)
                ds = rbpattn.Dataset.from_fasta(PUM2_TEST, length=101)
                np.testing.assert_array_equal(loaded.predict(ds, threads=threads), c_scores)
                self.assertEqual(ds.ids, c_ids)
        self.assertGreater(float(np.std(c_scores)), 1e-3)  # a trained model, not a constant

    def test_predict_file_errors(self):
        with self.assertRaises(rbpattn.Error) as cm:
            tiny().predict_file("/nonexistent.fa")
        self.assertEqual(cm.exception.status, _layout.RBP_ERR_IO)
        with tempfile.NamedTemporaryFile("w", suffix=".fa") as f:
            f.write(">a\nACGU\n>b\nACXU\n")
            f.flush()
            with self.assertRaises(rbpattn.Error) as cm:
                tiny().predict_file(f.name)
            self.assertIn(":4:", str(cm.exception))
            f.seek(0)
            f.truncate()
            f.flush()
            ids, scores = tiny().predict_file(f.name)
            self.assertEqual((ids, scores.shape, scores.dtype), ([], (0,), np.float32))


class TestLifetime(unittest.TestCase):
    def test_create_free_flat_rss(self):
        seqs = ["ACGUACGUACGU", "UGCAUGUGCAUG"]

        def once(i):
            if i % 2:
                with tiny() as m, rbpattn.Dataset.from_sequences(seqs, length=24) as ds:
                    m.predict(ds)
            else:  # left to the finalizers
                m = tiny()
                m.predict(seqs)
                del m

        for i in range(1000):  # warm up allocator pools and caches
            once(i)
        gc.collect()
        before = rss_kib()
        for i in range(10000):
            once(i)
        gc.collect()
        growth = rss_kib() - before
        sys.stderr.write(f"\n10,000 create/predict/free: RSS {before} KiB -> {before + growth} KiB ({growth:+d} KiB)\n")
        # One leaked model (2.6k floats, its session and workspace) per loop would be > 100 MB.
        self.assertLess(growth, 2048)


if __name__ == "__main__":
    unittest.main()

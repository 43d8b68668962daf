#!/usr/bin/python3
"""make_torch_ref.py - reference logits, gradients and attention maps of rbpattn's encoder,
computed by PyTorch, for tests/test_model.c (test_torch_reference).

The model is built here independently of rbpattn, from its documented architecture
(include/rbpattn/model.h): token embedding * sqrt(d) (+ structure and viewpoint embeddings)
+ sinusoidal positions (TensorFlow-tutorial layout) -> encoder layers (post-norm
LN(x + MHA(x)), LN(x + FFN(x)), or pre-norm x + MHA(LN(x)), x + FFN(LN(x)) and a final LN)
-> flatten / mean / max pooling over real positions -> Dense(H, ReLU) -> Dense(1).
MHA: separate Q, K, V, O linear layers with bias, softmax(Q K^T / sqrt(hs)) over the real keys.
Dropout is 0. Loss: mean BCE with logits.

Weights are drawn at random (seeded), written in rbpattn's flat parameter layout (Q, K, V
stacked as one (3d, d) matrix per layer, per-layer tensors stacked over layers), together
with a batch with padded positions, the logits, the loss, the gradient of the loss w.r.t.
every parameter (autograd) and the attention maps of example 0.

Output: tests/data/torch_ref_model.txt (text, floats as %.9g so float32 round-trips).
Generated with: /usr/bin/python3 tests/data/make_torch_ref.py   (Debian python3-torch 1.13.0a0)
"""
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float32)
VOCAB, STRUCT_VOCAB, PAD, STRUCT_PAD = 6, 4, 5, 3


def sinusoid(L, d):
    """pe[t, i] = sin(ang) (even i) / cos(ang) (odd i), ang = t / 10000^(2 floor(i/2) / d), in float64."""
    pe = torch.zeros(L, d, dtype=torch.float64)
    for t in range(L):
        for i in range(d):
            ang = t / math.pow(10000.0, (2 * (i // 2)) / d)
            pe[t, i] = math.sin(ang) if i % 2 == 0 else math.cos(ang)
    return pe.to(torch.float32)


def make_params(cfg, g):
    """Random parameters as a dict of named tensors (requires_grad)."""
    L, d, NL, f, H = cfg["seq_len"], cfg["d_model"], cfg["n_layers"], cfg["d_ff"], cfg["head_hidden"]
    P = L * d if cfg["pooling"] == "flatten" else d

    def U(shape, a):
        return ((torch.rand(shape, generator=g) * 2 - 1) * a).requires_grad_()

    p = {}
    p["tok_emb"] = U((VOCAB, d), 0.3)
    if cfg["use_structure"]:
        p["struct_emb"] = U((STRUCT_VOCAB, d), 0.3)
    if cfg["use_viewpoint"]:
        p["view_emb"] = U((2, d), 0.3)
    p["qkv_w"] = U((NL, 3 * d, d), 1 / math.sqrt(d))
    p["qkv_b"] = U((NL, 3 * d), 0.1)
    p["attproj_w"] = U((NL, d, d), 1 / math.sqrt(d))
    p["attproj_b"] = U((NL, d), 0.1)
    p["ln1_w"] = (1 + (torch.rand((NL, d), generator=g) * 2 - 1) * 0.2).requires_grad_()
    p["ln1_b"] = U((NL, d), 0.1)
    p["fc_w"] = U((NL, f, d), 1 / math.sqrt(d))
    p["fc_b"] = U((NL, f), 0.1)
    p["fcproj_w"] = U((NL, d, f), 1 / math.sqrt(f))
    p["fcproj_b"] = U((NL, d), 0.1)
    p["ln2_w"] = (1 + (torch.rand((NL, d), generator=g) * 2 - 1) * 0.2).requires_grad_()
    p["ln2_b"] = U((NL, d), 0.1)
    if cfg["norm"] == "pre":
        p["lnf_w"] = (1 + (torch.rand((d,), generator=g) * 2 - 1) * 0.2).requires_grad_()
        p["lnf_b"] = U((d,), 0.1)
    p["head1_w"] = U((H, P), 1 / math.sqrt(P))
    p["head1_b"] = U((H,), 0.1)
    p["head2_w"] = U((1, H), 1 / math.sqrt(H))
    p["head2_b"] = U((1,), 0.1)
    return p


# rbpattn's parameter buffer order (src/model/model.c, param_sizes[])
ORDER = ["tok_emb", "struct_emb", "view_emb", "qkv_w", "qkv_b", "attproj_w", "attproj_b", "ln1_w", "ln1_b",
         "fc_w", "fc_b", "fcproj_w", "fcproj_b", "ln2_w", "ln2_b", "lnf_w", "lnf_b", "head1_w", "head1_b",
         "head2_w", "head2_b"]


def forward(cfg, p, tok, mask, struct, view):
    """Returns logits (B) and the attention maps (NL, B, NH, L, L)."""
    B, L = tok.shape
    d, NH, eps = cfg["d_model"], cfg["n_heads"], cfg["ln_eps"]
    hs = d // NH
    act = F.relu if cfg["activation"] == "relu" else (lambda x: F.gelu(x))  # exact (erf) GELU
    x = p["tok_emb"][tok] * math.sqrt(d)
    if cfg["use_structure"]:
        x = x + p["struct_emb"][struct]
    if cfg["use_viewpoint"]:
        x = x + p["view_emb"][view]
    x = x + sinusoid(L, d)[None]
    keymask = mask[:, None, None, :]  # (B,1,1,L) True = real key
    maps = []

    def mha(h, l):
        w, b = p["qkv_w"][l], p["qkv_b"][l]
        q = F.linear(h, w[:d], b[:d]).view(B, L, NH, hs).transpose(1, 2)
        k = F.linear(h, w[d:2 * d], b[d:2 * d]).view(B, L, NH, hs).transpose(1, 2)
        v = F.linear(h, w[2 * d:], b[2 * d:]).view(B, L, NH, hs).transpose(1, 2)
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hs)
        s = s.masked_fill(~keymask, float("-inf"))
        a = torch.softmax(s, dim=-1)
        maps.append(a)
        o = torch.matmul(a, v).transpose(1, 2).reshape(B, L, d)
        return F.linear(o, p["attproj_w"][l], p["attproj_b"][l])

    def ffn(h, l):
        return F.linear(act(F.linear(h, p["fc_w"][l], p["fc_b"][l])), p["fcproj_w"][l], p["fcproj_b"][l])

    def ln(h, w, b):
        return F.layer_norm(h, (d,), w, b, eps)

    for l in range(cfg["n_layers"]):
        if cfg["norm"] == "post":
            x = ln(x + mha(x, l), p["ln1_w"][l], p["ln1_b"][l])
            x = ln(x + ffn(x, l), p["ln2_w"][l], p["ln2_b"][l])
        else:
            x = x + mha(ln(x, p["ln1_w"][l], p["ln1_b"][l]), l)
            x = x + ffn(ln(x, p["ln2_w"][l], p["ln2_b"][l]), l)
    if cfg["norm"] == "pre":
        x = ln(x, p["lnf_w"], p["lnf_b"])
    m = mask[:, :, None].to(x.dtype)
    if cfg["pooling"] == "flatten":
        pooled = x.reshape(B, L * d)
    elif cfg["pooling"] == "mean":
        pooled = (x * m).sum(1) / m.sum(1)
    else:
        pooled = x.masked_fill(~mask[:, :, None], float("-inf")).max(1).values
    hid = F.relu(F.linear(pooled, p["head1_w"], p["head1_b"]))
    return F.linear(hid, p["head2_w"], p["head2_b"]).squeeze(-1), torch.stack(maps)


def fmt(t):
    return " ".join("%.9g" % v for v in t.detach().reshape(-1).tolist())


def case(out, name, cfg, seed):
    g = torch.Generator().manual_seed(seed)
    p = make_params(cfg, g)
    B, L = cfg["batch"], cfg["seq_len"]
    tok = torch.randint(0, 5, (B, L), generator=g)
    struct = torch.randint(0, 3, (B, L), generator=g)
    view = torch.randint(0, 2, (B, L), generator=g)
    mask = torch.ones(B, L, dtype=torch.bool)
    for b in range(B):  # example b has L - 2b real positions (at least 1)
        real = max(1, L - 2 * b)
        mask[b, real:] = False
    tok[~mask] = PAD
    struct[~mask] = STRUCT_PAD
    view[~mask] = 0
    y = torch.tensor([float(b % 2) for b in range(B)])
    logits, maps = forward(cfg, p, tok, mask, struct, view)
    loss = F.binary_cross_entropy_with_logits(logits, y)
    loss.backward()
    names = [n for n in ORDER if n in p]
    params = torch.cat([p[n].detach().reshape(-1) for n in names])
    grads = torch.cat([p[n].grad.reshape(-1) for n in names])
    out.write("case %s\n" % name)
    out.write("config %d %d %d %d %d %d %.9g %d %d %d %d %d\n" % (
        cfg["seq_len"], cfg["d_model"], cfg["n_heads"], cfg["n_layers"], cfg["d_ff"], cfg["head_hidden"],
        cfg["ln_eps"], 0 if cfg["norm"] == "post" else 1, 0 if cfg["activation"] == "relu" else 1,
        {"flatten": 0, "mean": 1, "max": 2}[cfg["pooling"]], cfg["use_structure"], cfg["use_viewpoint"]))
    out.write("batch %d\n" % B)
    out.write("tokens %s\n" % " ".join(str(v) for v in tok.reshape(-1).tolist()))
    out.write("mask %s\n" % " ".join(str(int(v)) for v in mask.reshape(-1).tolist()))
    out.write("structure %s\n" % " ".join(str(v) for v in struct.reshape(-1).tolist()))
    out.write("viewpoint %s\n" % " ".join(str(v) for v in view.reshape(-1).tolist()))
    out.write("targets %s\n" % fmt(y))
    out.write("params %d %s\n" % (params.numel(), fmt(params)))
    out.write("logits %s\n" % fmt(logits))
    out.write("loss %.9g\n" % loss.item())
    out.write("grads %d %s\n" % (grads.numel(), fmt(grads)))
    out.write("attention %s\n" % fmt(maps[:, 0]))  # example 0: (NL, NH, L, L)
    out.write("end\n")


def main():
    base = dict(seq_len=13, d_model=16, n_heads=4, n_layers=2, d_ff=24, head_hidden=6, ln_eps=1e-6, batch=4,
                norm="post", activation="relu", pooling="flatten", use_structure=0, use_viewpoint=0)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_ref_model.txt")
    with open(path, "w") as out:
        out.write("# rbpattn model reference: written by tests/data/make_torch_ref.py with torch %s\n"
                  % torch.__version__)
        case(out, "post_relu_flatten", base, 1)
        case(out, "pre_gelu_mean_struct_view",
             dict(base, norm="pre", activation="gelu", pooling="mean", use_structure=1, use_viewpoint=1), 2)
        case(out, "post_gelu_max_view", dict(base, activation="gelu", pooling="max", use_viewpoint=1, n_layers=3), 3)
    print("wrote", path)


if __name__ == "__main__":
    main()

"""PyTorch ports of hyperc's reference models, for the peer benchmarks (issue 4).

multitask_mnist (models/multitask_mnist.hyper, the Lux.jl HyperNet tutorial):
    task (one scalar per batch) -> Embedding(2, 32) -> Linear(32, 64) + relu -> Linear(64, 23946)
    The 23,946-vector is split, as views, into the core conv net's weights in hyperc's layout order
    (tests/golden/multitask_mnist.ir, "layout core"):
        conv1.w [16,1,3,3] @0, conv1.b [16] @144, conv2.w [32,16,3,3] @160, conv2.b [32] @4768,
        conv3.w [64,32,3,3] @4800, conv3.b [64] @23232, dense.w [64,10] @23296, dense.b [10] @23936
    core: conv 3x3 stride 2 no padding (1->16->32->64, relu each) -> global mean pool -> flatten
          -> x @ W + b (W is [in, out]).

edifice_mlp (models/edifice_mlp.hyper, the Edifice/Axon Hypernetwork):
    cond = Embedding(1, 64)(task) per sample; for each target layer (in, out) in [(784,128), (128,10)]
    a generator cond -> Linear(64,256) relu -> Linear(256,256) relu -> Linear(256, in*out + out);
    the per-sample output is split (views) into W [B,in,out] then b [B,out]; the target computes
    h = bmm(h[:,None,:], W)[:,0,:] + b, relu after every layer except the last.

Initialisation matches hyperc's (compiler/.../eval/ReferenceEvaluator.initialise, tests/golden/*.ir):
    embedding tables N(0, 1); biases zero;
    multitask_mnist: dense layer followed by relu He-normal std sqrt(2/fan_in); generator head
      Glorot-uniform U(+-sqrt(6/(fan_in+fan_out)));
    edifice_mlp (hyperc's hypernetwork(...) with generator_init: uniform, the default): every generator
      layer U(+-1/sqrt(fan_in)); EdificeMlp(init="hyperfan") gives generator_init: hyperfan (He hidden
      layers, head N(0, std sqrt(2/(head_fan_in * target_fan_in)))).
Weights are stored as [in, out] and applied as x @ W + b, like hyperc's IR.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def _he(fan_in, fan_out):
    return nn.Parameter(torch.randn(fan_in, fan_out) * math.sqrt(2.0 / fan_in))


def _glorot(fan_in, fan_out):
    lim = math.sqrt(6.0 / (fan_in + fan_out))
    return nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-lim, lim))


def _hyperfan(head_fan_in, target_fan_in, fan_out):
    return nn.Parameter(torch.randn(head_fan_in, fan_out) * math.sqrt(2.0 / (head_fan_in * target_fan_in)))


class Dense(nn.Module):
    """x @ W + b with W [in, out]; init 'he', 'glorot', 'uniform', 'torch' or ('hyperfan', target_fan_in)."""

    def __init__(self, fan_in, fan_out, init):
        super().__init__()
        if init in ("uniform", "torch"):     # W ~ U(+-1/sqrt(fan_in)), nn.Linear's default for W
            bound = 1.0 / math.sqrt(fan_in)
            self.w = nn.Parameter(torch.empty(fan_in, fan_out).uniform_(-bound, bound))
            # "uniform": zero bias, as hyperc; "torch": nn.Linear's default bias U(+-1/sqrt(fan_in))
            self.b = nn.Parameter(torch.zeros(fan_out) if init == "uniform"
                                  else torch.empty(fan_out).uniform_(-bound, bound))
            return
        if init == "he":
            self.w = _he(fan_in, fan_out)
        elif init == "glorot":
            self.w = _glorot(fan_in, fan_out)
        else:
            self.w = _hyperfan(fan_in, init[1], fan_out)
        self.b = nn.Parameter(torch.zeros(fan_out))

    def forward(self, x):
        return torch.addmm(self.b, x, self.w) if x.dim() == 2 else x @ self.w + self.b


# ----------------------------------------------------------------------------------------------
# multitask_mnist
# ----------------------------------------------------------------------------------------------

# (name, shape) in hyperc's layout order; offsets follow from the sizes
CORE_LAYOUT = [
    ("conv1.w", (16, 1, 3, 3)), ("conv1.b", (16,)),
    ("conv2.w", (32, 16, 3, 3)), ("conv2.b", (32,)),
    ("conv3.w", (64, 32, 3, 3)), ("conv3.b", (64,)),
    ("dense.w", (64, 10)), ("dense.b", (10,)),
]
CORE_PARAMS = sum(math.prod(s) for _, s in CORE_LAYOUT)
assert CORE_PARAMS == 23946


def split_core(flat):
    """Views of the generated flat vector, in layout order (no copies)."""
    out, off = {}, 0
    for name, shape in CORE_LAYOUT:
        n = math.prod(shape)
        out[name] = flat[off:off + n].view(shape)
        off += n
    return out


def core_forward(x, w):
    h = F.relu(F.conv2d(x, w["conv1.w"], w["conv1.b"], stride=2))
    h = F.relu(F.conv2d(h, w["conv2.w"], w["conv2.b"], stride=2))
    h = F.relu(F.conv2d(h, w["conv3.w"], w["conv3.b"], stride=2))
    h = h.mean(dim=(2, 3))                      # global mean pool + flatten: [B, 64]
    return torch.addmm(w["dense.b"], h, w["dense.w"])


class MultitaskMnist(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Parameter(torch.randn(2, 32))       # N(0, 1)
        self.dense1 = Dense(32, 64, "he")                        # followed by relu
        self.dense2 = Dense(64, CORE_PARAMS, "glorot")           # generator head

    def generate(self, task):
        """task: python int (one task id for the whole batch) -> flat core weights [23946]."""
        e = self.embedding[task]
        h = F.relu(self.dense1(e.unsqueeze(0)))
        return self.dense2(h).squeeze(0)

    def forward(self, task, x):
        return core_forward(x, split_core(self.generate(task)))


# ----------------------------------------------------------------------------------------------
# edifice_mlp
# ----------------------------------------------------------------------------------------------

class Generator(nn.Module):
    def __init__(self, cond, hidden, fan_in, fan_out, init="uniform"):
        super().__init__()
        self.fan_in, self.fan_out = fan_in, fan_out
        hidden_init, head_init = {"uniform": ("uniform", "uniform"), "torch": ("torch", "torch"),
                                  "hyperfan": ("he", ("hyperfan", fan_in))}[init]
        self.l1 = Dense(cond, hidden[0], hidden_init)
        self.l2 = Dense(hidden[0], hidden[1], hidden_init)
        self.head = Dense(hidden[1], fan_in * fan_out + fan_out, head_init)

    def forward(self, c):
        g = self.head(F.relu(self.l2(F.relu(self.l1(c)))))   # [B, in*out + out]
        n = self.fan_in * self.fan_out
        w = g[:, :n].view(-1, self.fan_in, self.fan_out)      # views, W first then b
        b = g[:, n:]
        return w, b


class EdificeMlp(nn.Module):
    def __init__(self, cond=64, layers=((784, 128), (128, 10)), hidden=(256, 256), tasks=1, init="uniform"):
        """init (of the generators; the embedding is always N(0, 1)), as hyperc's generator_init:
        "uniform" (hyperc's default): W ~ U(+-1/sqrt(fan_in)) in every generator layer, zero biases;
        "hyperfan": He-normal hidden layers, hyperfan head N(0, 2/(256*fan_in)), zero biases (hyperc's
                    generator_init: hyperfan, and its default before commit 5452871);
        "torch": nn.Linear's default, i.e. "uniform" plus biases U(+-1/sqrt(fan_in)) (diagnostic only)."""
        super().__init__()
        self.embedding = nn.Parameter(torch.randn(tasks, cond))  # N(0, 1)
        self.gens = nn.ModuleList(Generator(cond, hidden, i, o, init) for i, o in layers)

    def forward(self, task, x):
        """task: int64 [B] (one id per sample); x: [B, 784]."""
        c = self.embedding[task]                                  # [B, 64]
        h = x
        for i, gen in enumerate(self.gens):
            w, b = gen(c)
            h = torch.bmm(h.unsqueeze(1), w).squeeze(1) + b
            if i + 1 < len(self.gens):
                h = F.relu(h)
        return h


def count_params(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    torch.manual_seed(0)
    m = MultitaskMnist()
    print("multitask_mnist learned params:", count_params(m), "generated:", CORE_PARAMS)
    print(m(0, torch.rand(4, 1, 28, 28)).shape)
    e = EdificeMlp()
    print("edifice_mlp learned params:", count_params(e))
    print(e(torch.zeros(4, dtype=torch.long), torch.rand(4, 784)).shape)

#!/usr/bin/env python3
"""Writes HIPT DINO training checkpoints at the real sizes, with random weights, for loader benchmarks.

The real files (vit256_small_dino.pth, 704,238,867 bytes; vit4k_xs_dino.pth, 395,710,078 bytes) cannot be fetched on
the benchmark machines, and the fixtures in shared/fixtures/hipt are cut down (depth 2, small DINO heads, partial
optimizer state). These files have the fixtures' structure (see shared/fixtures/hipt/README.md) at the real sizes:

* top-level dict: student, teacher, optimizer, epoch, args, dino_loss, fp16_scaler (in this order);
* student = DDP-style wrapper ("module." prefix) around backbone + DINO head, teacher = backbone + head (weights
  differ from the student's), both OrderedDict state dicts with _metadata;
* DINO head: 3-layer MLP (hidden 2048, bottleneck 256) and a weight-normed last layer of out_dim 65536 whose
  weight_g is frozen (not in the optimizer);
* AdamW state_dict after one step: two parameter groups (regularised / not), exp_avg, exp_avg_sq and a 0-d step
  tensor for every trainable student parameter; lr and weight_decay as numpy.float64 like DINO's schedules;
* args: argparse.Namespace with DINO's fields; dino_loss: OrderedDict with center (1, out_dim); fp16_scaler: the
  GradScaler state dict;
* zip records under "checkpoint/" (DINO saves checkpoint.pth) and storages tagged "cuda:0".

Weights are random (timing and memory of loading do not depend on them). Needs torch (Debian: python3-torch), not
needed by the build or the tests. Usage:

    /usr/bin/python3 bench/scripts/make_full_checkpoints.py --out-dir DIR [--depth256 12] [--depth4k 6]
"""

import argparse
import collections
import os
import tempfile

import numpy as np
import torch
from torch import nn


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(0.0)


class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.attn_drop = nn.Dropout(0.0)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(0.0)


class Block(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim)
        self.drop_path = nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)


class PatchEmbed(nn.Module):
    def __init__(self, dim, patch):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)


class Backbone(nn.Module):
    """ViT-256 (patch_embed) or ViT-4K (phi) with parameters in the order HIPT registers them."""

    def __init__(self, kind, dim, depth, hidden, grid=14):
        super().__init__()
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + grid * grid, dim) * 0.02)
        if kind == "vit256":
            self.patch_embed = PatchEmbed(dim, 16)
        else:
            self.phi = nn.Sequential(nn.Linear(384, dim), nn.GELU(), nn.Dropout(0.0))
        self.pos_drop = nn.Dropout(0.0)
        self.blocks = nn.ModuleList([Block(dim, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        # DINO's MultiCropWrapper replaces the backbone's classifier by identities.
        self.head = nn.Identity()
        self.fc = nn.Identity()


class DinoHead(nn.Module):
    def __init__(self, in_dim, out_dim, hidden=2048, bottleneck=256):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.GELU(), nn.Linear(hidden, hidden), nn.GELU(),
                                 nn.Linear(hidden, bottleneck))
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck, out_dim, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        self.last_layer.weight_g.requires_grad = False


class Wrapper(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone = backbone
        self.head = head


class Ddp(nn.Module):
    """Stands in for DistributedDataParallel: only its 'module.' key prefix matters for the state dict."""

    def __init__(self, module):
        super().__init__()
        self.module = module


class Center(nn.Module):
    def __init__(self, out_dim):
        super().__init__()
        self.register_buffer("center", torch.zeros(1, out_dim))


def dino_args(arch, out_dim):
    return argparse.Namespace(
        arch=arch, patch_size=16, out_dim=out_dim, norm_last_layer=True, momentum_teacher=0.996,
        use_bn_in_head=False, warmup_teacher_temp=0.04, teacher_temp=0.04, warmup_teacher_temp_epochs=0,
        use_fp16=True, weight_decay=0.04, weight_decay_end=0.4, clip_grad=3.0, batch_size_per_gpu=64, epochs=100,
        freeze_last_layer=1, lr=0.0005, warmup_epochs=10, min_lr=1e-06, optimizer="adamw", drop_path_rate=0.1,
        global_crops_scale=(0.4, 1.0), local_crops_number=8, local_crops_scale=(0.05, 0.4),
        data_path="/path/to/patches/", output_dir=".", saveckp_freq=20, seed=0, num_workers=10,
        dist_url="env://", local_rank=0, rank=0, gpu=0, world_size=1)


def tag_as_cuda():
    """Storages are tagged 'cuda:0' as in a checkpoint written on a GPU (torch.load needs map_location='cpu')."""

    def tagger(obj):
        return "cuda:0" if obj.device.type == "cpu" else None

    def restore(obj, location):
        return obj if location.startswith("cuda") else None

    torch.serialization.register_package(0, tagger, restore)


def make(kind, depth, out_dim, path, seed):
    torch.manual_seed(seed)
    dim, hidden, arch = (384, 1536, "vit_small") if kind == "vit256" else (192, 768, "vit4k_xs")
    student = Ddp(Wrapper(Backbone(kind, dim, depth, hidden), DinoHead(dim, out_dim)))
    teacher = Wrapper(Backbone(kind, dim, depth, hidden), DinoHead(dim, out_dim))
    teacher.load_state_dict(student.module.state_dict())

    # DINO's get_params_groups: biases and 1-d tensors without weight decay; frozen weight_g is not optimised.
    regularized, not_regularized = [], []
    for name, p in student.named_parameters():
        if not p.requires_grad:
            continue
        (not_regularized if name.endswith(".bias") or p.ndim == 1 else regularized).append(p)
    optimizer = torch.optim.AdamW([{"params": regularized}, {"params": not_regularized, "weight_decay": 0.0}])
    for p in regularized + not_regularized:
        p.grad = torch.randn_like(p) * 1e-3
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    for group in optimizer.param_groups:
        group["lr"] = np.float64(0.0015622832873927043)
    optimizer.param_groups[0]["weight_decay"] = np.float64(0.04004996256075982)

    # The teacher is an EMA of the student: close to it, not equal.
    with torch.no_grad():
        for p in teacher.parameters():
            p.add_(torch.randn_like(p) * 0.002)

    center = Center(out_dim)
    with torch.no_grad():
        center.center.normal_(0, 0.1)
    checkpoint = {
        "student": student.state_dict(),
        "teacher": teacher.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": 1,
        "args": dino_args(arch, out_dim),
        "dino_loss": center.state_dict(),
        "fp16_scaler": {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                        "_growth_tracker": 4},
    }

    # torch.save names the records after the file stem; DINO writes checkpoint.pth, so save under that name.
    folder = os.path.dirname(os.path.abspath(path))
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        temp = os.path.join(tmp, "checkpoint.pth")
        torch.save(checkpoint, temp)
        os.replace(temp, path)
    backbone = sum(p.numel() for p in teacher.backbone.parameters())
    print(f"{path}: {os.path.getsize(path):,} bytes; {kind} depth {depth}, teacher backbone {backbone:,} params")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--depth256", type=int, default=12)
    parser.add_argument("--depth4k", type=int, default=6)
    parser.add_argument("--out-dim", type=int, default=65536)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    tag_as_cuda()
    torch.set_num_threads(2)
    make("vit256", args.depth256, args.out_dim, os.path.join(args.out_dir, "vit256_small_dino.pth"), args.seed)
    make("vit4k", args.depth4k, args.out_dim, os.path.join(args.out_dir, "vit4k_xs_dino.pth"), args.seed + 1)


if __name__ == "__main__":
    main()

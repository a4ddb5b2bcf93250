#!/usr/bin/env python3
"""Golden values for Istar's seurat_v3 gene ranking, made independently of Istar.

scanpy's `highly_variable_genes(flavor="seurat_v3")` fits log10(variance) on log10(mean) with scikit-misc's `loess`
(span 0.3, degree 2, surface "interpolate"), a wrapper of the netlib dloess code that R's `stats::loess` also
wraps with the same defaults. Neither scanpy nor scikit-misc is packaged for Debian 12, R is (r-base-core), so this
script computes the means and variances with numpy, the loess fits with R (both the default interpolated surface,
what scanpy gets, and surface = "direct", the exact local fit), and the scores and the top-N selection exactly as
scanpy does for one batch.

Input: HER2 section B4's raw count table (every row of ST-cnts/B4.tsv.gz, every gene column). Output (committed,
read by tests/Istar.Tests/Training/SeuratV3GoldenTests.cs):
  seurat_v3_b4_loess.tsv  every 10th non-constant gene: gene, x = log10 mean, y = log10 var, R direct, R interpolate
  seurat_v3_b4_top.tsv    scanpy's top 1000 genes in rank order with their normalized variance

Usage: /usr/bin/python3 tests/scripts/seurat_v3_golden.py ../shared/data/her2st-legacy-st/ST-cnts/B4.tsv.gz OUTDIR
Needs: python3-numpy, python3-pandas, r-base-core (Rscript).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

SPAN = 0.3
TOP = 1000


def r_loess(x, y, surface):
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "xy.tsv")
        out = os.path.join(tmp, "fit.txt")
        np.savetxt(data, np.column_stack([x, y]), delimiter="\t", fmt="%.17g")
        script = (
            f'd <- read.table("{data}", sep="\\t"); '
            f'm <- loess(V2 ~ V1, data=d, span={SPAN}, degree=2, control=loess.control(surface="{surface}")); '
            f'write(sprintf("%.17g", fitted(m)), "{out}", ncolumns=1)'
        )
        subprocess.run(["Rscript", "-e", script], check=True)
        return np.loadtxt(out)


def main(counts_path, out_dir):
    table = pd.read_csv(counts_path, sep="\t", index_col=0)
    genes = np.asarray(table.columns)
    X = table.to_numpy(dtype=np.float64)
    n = X.shape[0]
    mean = X.mean(axis=0)
    var = X.var(axis=0, ddof=1)
    not_const = var > 0
    x = np.log10(mean[not_const])
    y = np.log10(var[not_const])
    interpolate = r_loess(x, y, "interpolate")
    direct = r_loess(x, y, "direct")

    # scanpy seurat_v3, one batch.
    estimate = np.zeros(X.shape[1])
    estimate[not_const] = interpolate
    reg_std = np.sqrt(10 ** estimate)
    clip = reg_std * np.sqrt(n) + mean
    clipped = np.minimum(X, clip[None, :])
    s = clipped.sum(axis=0)
    s2 = np.square(clipped).sum(axis=0)
    norm_var = (1 / ((n - 1) * np.square(reg_std))) * ((n * np.square(mean)) + s2 - 2 * s * mean)
    order = np.argsort(-norm_var, kind="stable")[:TOP]

    os.makedirs(out_dir, exist_ok=True)
    idx = np.flatnonzero(not_const)
    with open(os.path.join(out_dir, "seurat_v3_b4_loess.tsv"), "w") as f:
        f.write("gene\tlog10_mean\tlog10_var\tr_direct\tr_interpolate\n")
        for k in range(0, len(idx), 10):
            f.write(f"{genes[idx[k]]}\t{x[k]:.17g}\t{y[k]:.17g}\t{direct[k]:.17g}\t{interpolate[k]:.17g}\n")
    with open(os.path.join(out_dir, "seurat_v3_b4_top.tsv"), "w") as f:
        f.write("gene\tvariances_norm\n")
        for g in order:
            f.write(f"{genes[g]}\t{norm_var[g]:.10g}\n")
    print(f"{n} spots x {X.shape[1]} genes ({not_const.sum()} non-constant); "
          f"max |direct - interpolate| = {np.abs(direct - interpolate).max():.3g}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

using static TorchSharp.torch;

namespace Istar.Analysis;

/// <summary>Principal components of a samples × features matrix (covariance eigen-decomposition in float64).</summary>
internal static class Pca
{
    /// <summary>
    /// Projects the centred rows of <paramref name="x"/> (n × d) onto the top <paramref name="components"/> principal
    /// axes; returns n × components scores (float32) and the explained variance of each component (descending).
    /// Component signs are fixed so that the largest-magnitude loading is positive.
    /// </summary>
    public static (float[] Scores, double[] Variance, double[] Axes) Project(ReadOnlySpan<float> x, int n, int d, int components)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(components);
        components = Math.Min(components, d);
        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            var row = x.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                mean[j] += row[j];
            }
        }

        for (int j = 0; j < d; j++)
        {
            mean[j] /= n;
        }

        // Covariance accumulated chunk by chunk with BLAS (float64).
        const int Chunk = 16384;
        using var cov = zeros(d, d, ScalarType.Float64);
        var buffer = new double[Chunk * d];
        for (int start = 0; start < n; start += Chunk)
        {
            int m = Math.Min(Chunk, n - start);
            for (int i = 0; i < m; i++)
            {
                var row = x.Slice((start + i) * d, d);
                for (int j = 0; j < d; j++)
                {
                    buffer[(i * d) + j] = row[j] - mean[j];
                }
            }

            using var block = tensor(buffer.AsSpan(0, m * d).ToArray(), [m, d]);
            using var prod = block.t().mm(block);
            cov.add_(prod);
        }

        cov.div_(Math.Max(1, n - 1));
        var (values, vectors) = linalg.eigh(cov);
        using (values)
        using (vectors)
        {
            double[] eigenvalues = values.data<double>().ToArray();
            double[] eigenvectors = vectors.data<double>().ToArray(); // d × d, column k = eigenvector k (ascending)
            var axes = new double[components * d];
            var variance = new double[components];
            for (int k = 0; k < components; k++)
            {
                int col = d - 1 - k;
                variance[k] = eigenvalues[col];
                int argmax = 0;
                for (int j = 1; j < d; j++)
                {
                    if (Math.Abs(eigenvectors[(j * d) + col]) > Math.Abs(eigenvectors[(argmax * d) + col]))
                    {
                        argmax = j;
                    }
                }

                double sign = eigenvectors[(argmax * d) + col] < 0 ? -1 : 1;
                for (int j = 0; j < d; j++)
                {
                    axes[(k * d) + j] = sign * eigenvectors[(j * d) + col];
                }
            }

            var scores = new float[(long)n * components];
            for (int i = 0; i < n; i++)
            {
                var row = x.Slice(i * d, d);
                for (int k = 0; k < components; k++)
                {
                    double s = 0;
                    var axis = axes.AsSpan(k * d, d);
                    for (int j = 0; j < d; j++)
                    {
                        s += (row[j] - mean[j]) * axis[j];
                    }

                    scores[((long)i * components) + k] = (float)s;
                }
            }

            return (scores, variance, axes);
        }
    }
}

namespace Istar.Evaluation.Simulation;

/// <summary>
/// A small, version-stable pseudo-random generator (SplitMix64) and hash-based value noise, so a simulation is the
/// same for a seed on every machine, .NET version and thread count.
/// </summary>
internal sealed class SimRandom(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A generator for a sub-stream identified by <paramref name="a"/>, <paramref name="b"/>.</summary>
    public static SimRandom For(ulong seed, ulong a, ulong b = 0) => new(Mix(Mix(seed ^ 0x9E3779B97F4A7C15UL) ^ Mix(a + 0x632BE59BD9B4E019UL) ^ Mix(b + 0x85157AF5UL)));

    /// <summary>The SplitMix64 finaliser.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A hash of integer lattice coordinates to [0, 1).</summary>
    public static double Hash01(ulong seed, long x, long y) =>
        (Mix(seed ^ Mix((ulong)x * 0x9E3779B97F4A7C15UL ^ Mix((ulong)y + 0xD1B54A32D192ED03UL))) >> 11) * (1.0 / (1UL << 53));

    /// <summary>Smooth value noise in [0, 1) at lattice coordinates (x, y).</summary>
    public static double ValueNoise(ulong seed, double x, double y)
    {
        double fx = Math.Floor(x);
        double fy = Math.Floor(y);
        long ix = (long)fx;
        long iy = (long)fy;
        double tx = x - fx;
        double ty = y - fy;
        tx = tx * tx * (3 - (2 * tx));
        ty = ty * ty * (3 - (2 * ty));
        double a = Hash01(seed, ix, iy);
        double b = Hash01(seed, ix + 1, iy);
        double c = Hash01(seed, ix, iy + 1);
        double d = Hash01(seed, ix + 1, iy + 1);
        return a + ((b - a) * tx) + ((c - a) * ty) + ((a - b - c + d) * tx * ty);
    }

    /// <summary>Fractal value noise (octaves of halving scale, weights halving), roughly in [0, 1).</summary>
    public static double Fractal(ulong seed, double x, double y, int octaves)
    {
        double sum = 0;
        double weight = 1;
        double total = 0;
        double scale = 1;
        for (int o = 0; o < octaves; o++)
        {
            sum += weight * ValueNoise(seed + (ulong)o * 7919UL, x * scale, y * scale);
            total += weight;
            weight *= 0.5;
            scale *= 2;
        }

        return sum / total;
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [a, b).</summary>
    public double Uniform(double a, double b) => a + ((b - a) * NextDouble());

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A Poisson variate: inversion for small means, Hörmann's PTRS transformed rejection for large ones.</summary>
    public long NextPoisson(double lambda)
    {
        if (!(lambda > 0))
        {
            return 0;
        }

        if (lambda < 10)
        {
            double limit = Math.Exp(-lambda);
            double product = NextDouble();
            long k = 0;
            while (product > limit)
            {
                k++;
                product *= NextDouble();
            }

            return k;
        }

        double slam = Math.Sqrt(lambda);
        double logLambda = Math.Log(lambda);
        double b = 0.931 + (2.53 * slam);
        double a = -0.059 + (0.02483 * b);
        double invAlpha = 1.1239 + (1.1328 / (b - 3.4));
        double vr = 0.9277 - (3.6224 / (b - 2));
        while (true)
        {
            double u = NextDouble() - 0.5;
            double v = NextDouble();
            double us = 0.5 - Math.Abs(u);
            long k = (long)Math.Floor((((2 * a / us) + b) * u) + lambda + 0.43);
            if (us >= 0.07 && v <= vr)
            {
                return k;
            }

            if (k < 0 || (us < 0.013 && v > us))
            {
                continue;
            }

            if (Math.Log(v) + Math.Log(invAlpha) - Math.Log((a / (us * us)) + b) <= -lambda + (k * logLambda) - LogFactorial(k))
            {
                return k;
            }
        }
    }

    /// <summary>ln(k!) (exact sum for small k, Stirling series beyond).</summary>
    internal static double LogFactorial(long k)
    {
        if (k < 20)
        {
            double s = 0;
            for (long i = 2; i <= k; i++)
            {
                s += Math.Log(i);
            }

            return s;
        }

        double n = k + 1.0;
        return ((n - 0.5) * Math.Log(n)) - n + (0.5 * Math.Log(2 * Math.PI)) + (1.0 / (12 * n)) - (1.0 / (360 * n * n * n));
    }
}

namespace Istar.Evaluation.Simulation;

/// <summary>
/// Paints the layout as an H&amp;E-like RGB image: per pixel, haematoxylin and eosin amounts by compartment (fibres in
/// stroma, white adipocytes with pink membranes, red blood cells in lumens), then every nucleus as a dark ellipse with
/// chromatin texture, and finally Beer–Lambert mixing with the Ruifrok–Johnston stain vectors. Strips are rendered in
/// parallel; every pixel depends only on the layout, so the image does not depend on the thread count.
/// </summary>
internal static class SlideRenderer
{
    private const int StripRows = 64;
    private static readonly double[] HaemVector = Normalize(0.650, 0.704, 0.286);
    // A realistic eosin (pinker than Ruifrok's reference vector), so deconvolution sees real-world stain mismatch.
    private static readonly double[] EosinVector = Normalize(0.09, 0.85, 0.40);

    public static byte[] Render(TissueLayout layout, int width, int height, double mpp, CancellationToken cancellation)
    {
        var rgb = new byte[(long)width * height * 3];
        int strips = (height + StripRows - 1) / StripRows;
        var buckets = new List<int>[strips];
        for (int s = 0; s < strips; s++)
        {
            buckets[s] = [];
        }

        for (int i = 0; i < layout.Cells.Count; i++)
        {
            var c = layout.Cells[i];
            double r = Math.Max(c.RadiusX, c.RadiusY) + mpp;
            int first = Math.Clamp((int)Math.Floor((c.Y - r) / mpp) / StripRows, 0, strips - 1);
            int last = Math.Clamp((int)Math.Floor((c.Y + r) / mpp) / StripRows, 0, strips - 1);
            for (int s = first; s <= last; s++)
            {
                buckets[s].Add(i);
            }
        }

        var options = new ParallelOptions { CancellationToken = cancellation };
        Parallel.For(0, strips, options, s => RenderStrip(layout, rgb, width, height, mpp, s * StripRows, Math.Min(StripRows, height - (s * StripRows)), buckets[s]));
        return rgb;
    }

    private static void RenderStrip(TissueLayout layout, byte[] rgb, int width, int height, double mpp, int y0, int rows, List<int> cells)
    {
        ulong seed = layout.Seed;
        var haem = new float[rows * width];
        var eosin = new float[rows * width];
        for (int r = 0; r < rows; r++)
        {
            int py = y0 + r;
            double y = (py + 0.5) * mpp;
            for (int px = 0; px < width; px++)
            {
                double x = (px + 0.5) * mpp;
                double grain = SimRandom.Hash01(seed + 101, px, py) - 0.5;
                double h;
                double e;
                switch (layout.RegionAt(x, y))
                {
                    case Region.Stroma:
                    {
                        double fibre = Fibres(seed, layout.FibreAngle(x, y), x, y);
                        double density = 0.6 + (0.4 * SimRandom.ValueNoise(seed + 112, x / 60, y / 60));
                        h = 0.05;
                        e = (0.09 + (0.26 * fibre * fibre * density)) * (1 + (0.15 * grain));
                        break;
                    }

                    case Region.Epithelium:
                    {
                        double mottle = SimRandom.ValueNoise(seed + 121, x / 3, y / 3);
                        h = 0.12 + (0.06 * mottle);
                        e = 0.2 + (0.06 * mottle);
                        break;
                    }

                    case Region.Immune:
                        h = 0.1 + (0.03 * grain);
                        e = 0.14;
                        break;

                    case Region.Fat:
                    {
                        var (d1, d2) = layout.FatDistances(x, y);
                        bool membrane = d2 - d1 < 1.4;
                        h = membrane ? 0.06 : 0.01;
                        e = membrane ? 0.35 : 0.02;
                        break;
                    }

                    case Region.Lumen:
                    {
                        long cx = (long)Math.Floor(x / 8);
                        long cy = (long)Math.Floor(y / 8);
                        double rx = (cx + 0.3 + (0.4 * SimRandom.Hash01(seed + 131, cx, cy))) * 8;
                        double ry = (cy + 0.3 + (0.4 * SimRandom.Hash01(seed + 132, cx, cy))) * 8;
                        bool present = SimRandom.Hash01(seed + 133, cx, cy) < 0.55;
                        bool rbc = present && ((x - rx) * (x - rx)) + ((y - ry) * (y - ry)) < 3.4 * 3.4;
                        h = rbc ? 0.02 : 0.01;
                        e = rbc ? 0.75 : 0.04;
                        break;
                    }

                    case Region.VesselWall:
                        h = 0.07;
                        e = 0.42 + (0.05 * grain);
                        break;

                    default:
                        h = 0.01;
                        e = 0.015;
                        break;
                }

                haem[(r * width) + px] = (float)h;
                eosin[(r * width) + px] = (float)e;
            }
        }

        foreach (int index in cells)
        {
            Splat(layout.Cells[index], seed, haem, eosin, width, height, mpp, y0, rows);
        }

        for (int r = 0; r < rows; r++)
        {
            int py = y0 + r;
            for (int px = 0; px < width; px++)
            {
                double h = haem[(r * width) + px];
                double e = eosin[(r * width) + px];
                double noise = 0.02 * (SimRandom.Hash01(seed + 141, px, py) - 0.5);
                long at = (((long)py * width) + px) * 3;
                for (int c = 0; c < 3; c++)
                {
                    double od = (h * HaemVector[c]) + (e * EosinVector[c]) + noise;
                    rgb[at + c] = (byte)Math.Clamp(Math.Round(255 * Math.Pow(10, -od)), 0, 255);
                }
            }
        }
    }

    /// <summary>
    /// Wavy parallel fibres: three fixed orientations in global coordinates (so no swirl far from the origin), blended
    /// by how well each matches the local fibre direction.
    /// </summary>
    private static double Fibres(ulong seed, double angle, double x, double y)
    {
        double sum = 0;
        double weights = 0;
        for (int k = 0; k < 3; k++)
        {
            double theta = k * Math.PI / 3;
            double w = Math.Exp(4 * Math.Cos(2 * (angle - theta)));
            double c = Math.Cos(theta);
            double s = Math.Sin(theta);
            double u = (x * c) + (y * s);
            double v = (-x * s) + (y * c);
            double warp = 1.5 * SimRandom.ValueNoise(seed + 111 + (ulong)k, u / 45, v / 10);
            sum += w * (0.5 + (0.5 * Math.Sin(2 * Math.PI * ((v / 5.5) + warp))));
            weights += w;
        }

        return sum / weights;
    }

    private static void Splat(Cell cell, ulong seed, float[] haem, float[] eosin, int width, int height, double mpp, int y0, int rows)
    {
        double reach = Math.Max(cell.RadiusX, cell.RadiusY);
        int px0 = Math.Max(0, (int)Math.Floor((cell.X - reach) / mpp));
        int px1 = Math.Min(width - 1, (int)Math.Ceiling((cell.X + reach) / mpp));
        int py0 = Math.Max(Math.Max(0, y0), (int)Math.Floor((cell.Y - reach) / mpp));
        int py1 = Math.Min(Math.Min(height - 1, y0 + rows - 1), (int)Math.Ceiling((cell.Y + reach) / mpp));
        double cos = Math.Cos(cell.Angle);
        double sin = Math.Sin(cell.Angle);
        for (int py = py0; py <= py1; py++)
        {
            double y = (py + 0.5) * mpp;
            for (int px = px0; px <= px1; px++)
            {
                double x = (px + 0.5) * mpp;
                double dx = x - cell.X;
                double dy = y - cell.Y;
                double u = ((dx * cos) + (dy * sin)) / cell.RadiusX;
                double v = ((-dx * sin) + (dy * cos)) / cell.RadiusY;
                double t = Math.Sqrt((u * u) + (v * v));
                if (t >= 1)
                {
                    continue;
                }

                double alpha = t < 0.8 ? 1 : (1 - t) / 0.2;
                double chromatin = SimRandom.ValueNoise(seed + 151, x / 1.1, y / 1.1);
                double nh = cell.Darkness * (0.7 + (0.45 * chromatin)) * (t > 0.8 ? 1.15 : 1);
                int at = ((py - y0) * width) + px;
                haem[at] = (float)((haem[at] * (1 - alpha)) + (nh * alpha));
                eosin[at] = (float)((eosin[at] * (1 - alpha)) + (0.12 * alpha));
            }
        }
    }

    private static double[] Normalize(double a, double b, double c)
    {
        double n = Math.Sqrt((a * a) + (b * b) + (c * c));
        return [a / n, b / n, c / n];
    }
}

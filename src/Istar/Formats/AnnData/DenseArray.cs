namespace Istar.Formats.AnnData;

/// <summary>
/// An n-dimensional numeric or boolean array in C order, keeping its element type (an <c>obsm</c> entry, a 2-D array in
/// <c>uns</c>). <see cref="Values"/> is a one-dimensional array of <c>double</c>, <c>float</c>, <c>long</c>, <c>int</c>,
/// <c>short</c>, <c>sbyte</c>, <c>ulong</c>, <c>uint</c>, <c>ushort</c>, <c>byte</c> or <c>bool</c>.
/// </summary>
internal sealed class DenseArray
{
    public DenseArray(int[] shape, Array values)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(values);
        long count = 1;
        foreach (int d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }

        if (values.Rank != 1 || values.LongLength != count)
        {
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {count} values, got {values.LongLength}", nameof(values));
        }

        if (!NumericArrays.IsSupported(values.GetType().GetElementType()!))
        {
            throw new ArgumentException($"unsupported element type {values.GetType().GetElementType()}", nameof(values));
        }

        Shape = shape;
        Values = values;
    }

    /// <summary>Dimensions, C order.</summary>
    public int[] Shape { get; }

    /// <summary>Values, C order, of the element type as stored.</summary>
    public Array Values { get; }

    public Type ElementType => Values.GetType().GetElementType()!;

    /// <summary>Creates a rows × columns float64 array.</summary>
    public static DenseArray Matrix(int rows, int columns, double[] values) => new([rows, columns], values);

    /// <summary>Creates a rows × columns float32 array.</summary>
    public static DenseArray Matrix(int rows, int columns, float[] values) => new([rows, columns], values);

    /// <summary>All values widened to float64.</summary>
    public double[] ToDoubles() => NumericArrays.ToDoubles(Values);

    /// <summary>All values as float32.</summary>
    public float[] ToFloats() => NumericArrays.ToFloats(Values);
}

/// <summary>Conversions between the numeric array types HDF5 datasets map to.</summary>
internal static class NumericArrays
{
    public static bool IsSupported(Type t) =>
        t == typeof(double) || t == typeof(float) || t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(sbyte)
        || t == typeof(ulong) || t == typeof(uint) || t == typeof(ushort) || t == typeof(byte) || t == typeof(bool);

    public static double[] ToDoubles(Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        switch (values)
        {
            case double[] d:
                return d;
            case float[] f:
                return Array.ConvertAll(f, v => (double)v);
            case long[] l:
                return Array.ConvertAll(l, v => (double)v);
            case int[] i:
                return Array.ConvertAll(i, v => (double)v);
            case short[] s:
                return Array.ConvertAll(s, v => (double)v);
            case sbyte[] sb:
                return Array.ConvertAll(sb, v => (double)v);
            case ulong[] ul:
                return Array.ConvertAll(ul, v => (double)v);
            case uint[] ui:
                return Array.ConvertAll(ui, v => (double)v);
            case ushort[] us:
                return Array.ConvertAll(us, v => (double)v);
            case byte[] b:
                return Array.ConvertAll(b, v => (double)v);
            case bool[] bo:
                return Array.ConvertAll(bo, v => v ? 1.0 : 0.0);
            default:
                throw new ArgumentException($"not a numeric array: {values.GetType()}", nameof(values));
        }
    }

    public static float[] ToFloats(Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values is float[] f)
        {
            return f;
        }

        var d = ToDoubles(values);
        return Array.ConvertAll(d, v => (float)v);
    }

    public static long[] ToInt64(Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values switch
        {
            long[] l => l,
            int[] i => Array.ConvertAll(i, v => (long)v),
            short[] s => Array.ConvertAll(s, v => (long)v),
            sbyte[] sb => Array.ConvertAll(sb, v => (long)v),
            uint[] ui => Array.ConvertAll(ui, v => (long)v),
            ushort[] us => Array.ConvertAll(us, v => (long)v),
            byte[] b => Array.ConvertAll(b, v => (long)v),
            ulong[] ul => Array.ConvertAll(ul, v => checked((long)v)),
            _ => throw new ArgumentException($"not an integer array: {values.GetType()}", nameof(values)),
        };
    }

    public static bool IsInteger(Type t) =>
        t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(sbyte)
        || t == typeof(ulong) || t == typeof(uint) || t == typeof(ushort) || t == typeof(byte);
}

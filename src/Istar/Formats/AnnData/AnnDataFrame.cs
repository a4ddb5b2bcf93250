namespace Istar.Formats.AnnData;

/// <summary>
/// A pandas-style data frame as AnnData stores <c>obs</c> and <c>var</c>: a string index and ordered, typed columns
/// of the same length.
/// </summary>
internal sealed class AnnDataFrame
{
    private readonly List<AnnColumn> _columns = [];

    /// <param name="index">Row names (obs_names / var_names).</param>
    /// <param name="indexName">The index's name as stored (the <c>_index</c> attribute); anndata uses <c>_index</c> when it has none.</param>
    public AnnDataFrame(IReadOnlyList<string> index, string indexName = DefaultIndexName)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentException.ThrowIfNullOrEmpty(indexName);
        Index = index;
        IndexName = indexName;
    }

    /// <summary>The index name anndata writes when the index has no name.</summary>
    public const string DefaultIndexName = "_index";

    public IReadOnlyList<string> Index { get; }

    public string IndexName { get; }

    public int RowCount => Index.Count;

    /// <summary>Columns in order (<c>column-order</c>).</summary>
    public IReadOnlyList<AnnColumn> Columns => _columns;

    public AnnColumn this[string name] => Find(name) ?? throw new KeyNotFoundException($"no column '{name}'");

    public bool Contains(string name) => Find(name) is not null;

    public AnnColumn? Find(string name) => _columns.Find(c => c.Name == name);

    /// <summary>Adds (or replaces) a column; returns this frame for chaining.</summary>
    public AnnDataFrame Add(AnnColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        if (column.Length != RowCount)
        {
            throw new ArgumentException($"column '{column.Name}' has {column.Length} values, the frame has {RowCount} rows", nameof(column));
        }

        if (column.Name == IndexName)
        {
            throw new ArgumentException($"column '{column.Name}' has the index's name", nameof(column));
        }

        int existing = _columns.FindIndex(c => c.Name == column.Name);
        if (existing >= 0)
        {
            _columns[existing] = column;
        }
        else
        {
            _columns.Add(column);
        }

        return this;
    }

    /// <summary>Adds a numeric column (double, float, long, int, short, sbyte, ulong, uint, ushort or byte values).</summary>
    public AnnDataFrame Add(string name, Array numericValues) => Add(new NumericColumn(name, numericValues));

    public AnnDataFrame Add(string name, bool[] values) => Add(new BoolColumn(name, values));

    public AnnDataFrame Add(string name, string[] values) => Add(new StringColumn(name, values));

    /// <summary>Adds a categorical column built from values (categories sorted ordinally, as pandas does for strings).</summary>
    public AnnDataFrame AddCategorical(string name, IReadOnlyList<string?> values) => Add(CategoricalColumn.FromValues(name, values));
}

/// <summary>One data frame column.</summary>
internal abstract class AnnColumn
{
    protected AnnColumn(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    public string Name { get; }

    public abstract int Length { get; }

    /// <summary>The value at a row as text (invariant culture), null where missing.</summary>
    public abstract string? Text(int row);
}

/// <summary>A numeric column; <see cref="Values"/> keeps the stored element type.</summary>
internal sealed class NumericColumn : AnnColumn
{
    public NumericColumn(string name, Array values)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(values);
        var t = values.GetType().GetElementType();
        if (values.Rank != 1 || t is null || t == typeof(bool) || !NumericArrays.IsSupported(t))
        {
            throw new ArgumentException($"column '{name}': expected a one-dimensional numeric array, got {values.GetType()}", nameof(values));
        }

        Values = values;
    }

    public Array Values { get; }

    public override int Length => Values.Length;

    public double[] ToDoubles() => NumericArrays.ToDoubles(Values);

    public override string? Text(int row) => Convert.ToString(Values.GetValue(row), System.Globalization.CultureInfo.InvariantCulture);
}

internal sealed class BoolColumn : AnnColumn
{
    public BoolColumn(string name, bool[] values)
        : base(name)
    {
        Values = values ?? throw new ArgumentNullException(nameof(values));
    }

    public bool[] Values { get; }

    public override int Length => Values.Length;

    public override string? Text(int row) => Values[row] ? "True" : "False";
}

internal sealed class StringColumn : AnnColumn
{
    public StringColumn(string name, string[] values)
        : base(name)
    {
        Values = values ?? throw new ArgumentNullException(nameof(values));
    }

    public string[] Values { get; }

    public override int Length => Values.Length;

    public override string? Text(int row) => Values[row];
}

/// <summary>A pandas categorical: codes into categories, -1 for missing.</summary>
internal sealed class CategoricalColumn : AnnColumn
{
    public CategoricalColumn(string name, string[] categories, int[] codes, bool ordered = false)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(codes);
        foreach (int c in codes)
        {
            if (c < -1 || c >= categories.Length)
            {
                throw new ArgumentException($"column '{name}': code {c} is outside -1..{categories.Length - 1}", nameof(codes));
            }
        }

        if (categories.Distinct(StringComparer.Ordinal).Count() != categories.Length)
        {
            throw new ArgumentException($"column '{name}': categories must be unique", nameof(categories));
        }

        Categories = categories;
        Codes = codes;
        Ordered = ordered;
    }

    public string[] Categories { get; }

    public int[] Codes { get; }

    public bool Ordered { get; }

    public override int Length => Codes.Length;

    public string? this[int row] => Codes[row] < 0 ? null : Categories[Codes[row]];

    public override string? Text(int row) => this[row];

    /// <summary>Builds a categorical from values; null values are missing; categories are sorted ordinally.</summary>
    public static CategoricalColumn FromValues(string name, IReadOnlyList<string?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var categories = values.Where(v => v is not null).Select(v => v!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < categories.Length; i++)
        {
            lookup[categories[i]] = i;
        }

        var codes = new int[values.Count];
        for (int i = 0; i < codes.Length; i++)
        {
            codes[i] = values[i] is { } v ? lookup[v] : -1;
        }

        return new CategoricalColumn(name, categories, codes);
    }
}

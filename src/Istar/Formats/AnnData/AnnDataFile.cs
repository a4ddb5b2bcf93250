namespace Istar.Formats.AnnData;

/// <summary>
/// An AnnData object as stored in an <c>.h5ad</c> file: <c>X</c> (optional), <c>obs</c>, <c>var</c>, <c>obsm</c>,
/// <c>layers</c> and <c>uns</c>. Build one and hand it to <see cref="AnnDataWriter"/>, or get one from
/// <see cref="AnnDataReader"/>.
/// </summary>
/// <remarks>
/// <c>Uns</c> values may be: <c>string</c>; numeric scalars (<c>double</c>, <c>float</c>, <c>long</c>, <c>int</c>,
/// <c>bool</c>, …); one-dimensional numeric, <c>bool</c> or <c>string</c> arrays; <see cref="DenseArray"/>;
/// <see cref="AnnDataFrame"/>; and nested <c>IDictionary&lt;string, object&gt;</c>. The reader returns integer
/// scalars as <c>long</c>, floating scalars as <c>double</c>, arrays with their stored element type and dicts as
/// <c>Dictionary&lt;string, object&gt;</c>.
/// </remarks>
internal sealed class AnnDataFile
{
    public AnnDataFile(AnnDataFrame obs, AnnDataFrame var)
    {
        Obs = obs ?? throw new ArgumentNullException(nameof(obs));
        Var = var ?? throw new ArgumentNullException(nameof(var));
    }

    /// <summary>Creates an object with the given names and no columns.</summary>
    public AnnDataFile(IReadOnlyList<string> obsNames, IReadOnlyList<string> varNames)
        : this(new AnnDataFrame(obsNames), new AnnDataFrame(varNames))
    {
    }

    public AnnDataFrame Obs { get; }

    public AnnDataFrame Var { get; }

    public int ObsCount => Obs.RowCount;

    public int VarCount => Var.RowCount;

    public IReadOnlyList<string> ObsNames => Obs.Index;

    public IReadOnlyList<string> VarNames => Var.Index;

    /// <summary>The main matrix, obs × var; may be absent.</summary>
    public AnnMatrix? X { get; set; }

    /// <summary>Per-observation arrays whose first dimension is <see cref="ObsCount"/> (e.g. <c>spatial</c>).</summary>
    public Dictionary<string, DenseArray> Obsm { get; } = new(StringComparer.Ordinal);

    /// <summary>Further obs × var matrices.</summary>
    public Dictionary<string, AnnMatrix> Layers { get; } = new(StringComparer.Ordinal);

    /// <summary>Unstructured metadata; see the remarks for the value types.</summary>
    public Dictionary<string, object> Uns { get; } = new(StringComparer.Ordinal);

    /// <summary>Elements the reader found but does not model (e.g. <c>raw</c>, sparse <c>obsm</c>), as "path (encoding)".</summary>
    public List<string> Skipped { get; } = [];

    /// <summary>Throws an <see cref="ArgumentException"/> when shapes disagree.</summary>
    public void Validate()
    {
        if (X is not null)
        {
            CheckMatrix("X", X);
        }

        foreach (var (name, layer) in Layers)
        {
            CheckMatrix("layers/" + name, layer);
        }

        foreach (var (name, array) in Obsm)
        {
            if (array.Shape.Length == 0 || array.Shape[0] != ObsCount)
            {
                throw new ArgumentException($"obsm/{name} has shape ({string.Join(", ", array.Shape)}); its first dimension must be the {ObsCount} observations");
            }
        }
    }

    private void CheckMatrix(string name, AnnMatrix m)
    {
        if (m.Rows != ObsCount || m.Columns != VarCount)
        {
            throw new ArgumentException($"{name} is {m.Rows} × {m.Columns}; expected {ObsCount} obs × {VarCount} var");
        }
    }
}

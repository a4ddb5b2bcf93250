namespace Istar.Evaluation.Simulation;

/// <summary>The simulated cell types; the order is the first axis of the composition arrays.</summary>
internal enum CellType
{
    Epithelial,
    Fibroblast,
    Adipocyte,
    Lymphocyte,
    Endothelial,
    Macrophage,
}

/// <summary>Tissue compartments of the slide.</summary>
internal enum Region : byte
{
    Background,
    Stroma,
    Epithelium,
    Fat,
    Immune,
    Lumen,
    VesselWall,
}

/// <summary>One nucleus (one cell) in µm.</summary>
internal readonly record struct Cell(double X, double Y, CellType Type, double RadiusX, double RadiusY, double Angle, double Darkness);

/// <summary>A vessel: a lumen of the given radius with a wall around it (µm).</summary>
internal readonly record struct Vessel(double X, double Y, double Lumen, double Wall);

/// <summary>A round immune aggregate (µm).</summary>
internal readonly record struct Aggregate(double X, double Y, double Radius);

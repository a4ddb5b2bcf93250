namespace Istar.Input;

/// <summary>A position in the input's full-resolution image frame: X = column, Y = row, in pixels.</summary>
public readonly record struct FullResPoint(double X, double Y);

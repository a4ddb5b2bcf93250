using TorchSharp;
using static TorchSharp.torch;

namespace Istar;

/// <summary>
/// Scalars that live for the whole process, and tensor arithmetic that uses them. TorchSharp turns a literal
/// argument (the implicit alpha of <c>a + b</c>, the 0.01 of <c>x.add(0.01)</c>) into a temporary
/// <see cref="Scalar"/> whose native handle is handed to libtorch while nothing managed refers to the object any
/// more; a garbage collection during a long native call can finalize it, and libtorch then reads a freed Scalar
/// (seen as "Expected false to be true … toFloat" after 50 minutes of faithful HIPT). Hot paths use these instead;
/// a scalar held by a static property is never finalized.
/// </summary>
internal static class TorchScalars
{
    /// <summary>The integer 1, as TorchSharp passes for the default alpha (so results are bit-identical).</summary>
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary><c>a + b</c> without a temporary alpha.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>In-place <c>a += b</c> without a temporary alpha.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);
}

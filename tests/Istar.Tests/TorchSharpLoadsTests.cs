using static TorchSharp.torch;

namespace Istar.Tests;

public class TorchSharpLoadsTests
{
    [Fact]
    public void A_small_matmul_runs_in_the_test_process()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, 2, 2);
        using var b = tensor(new float[] { 5, 6, 7, 8 }, 2, 2);
        using var c = matmul(a, b);
        float[] values = c.data<float>().ToArray();
        Assert.Equal(new float[] { 19, 22, 43, 50 }, values);
    }
}

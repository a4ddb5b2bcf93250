using Istar.Cli;
using Istar.Tests.Support;

namespace Istar.Tests.Evaluation;

[Collection(nameof(ConsoleCapture))]
public sealed class EvaluateCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void Evaluate_without_a_mode_is_an_input_error_that_shows_both_modes()
    {
        var (code, _, errors) = Run("evaluate", "result.h5ad");

        Assert.Equal(2, code);
        Assert.Contains("no mode given", errors, StringComparison.Ordinal);
        Assert.Contains("--truth DIR", errors, StringComparison.Ordinal);
        Assert.Contains("--pseudo-spots INPUT", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_with_both_modes_is_an_input_error()
    {
        var (code, _, errors) = Run("evaluate", "result.h5ad", "--truth", "truth", "--pseudo-spots", "sample");

        Assert.Equal(2, code);
        Assert.Contains("--truth and --pseudo-spots were both given", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Truth_mode_needs_a_result_and_pseudo_spot_mode_takes_none()
    {
        var (code, _, errors) = Run("evaluate", "--truth", "truth");
        Assert.Equal(2, code);
        Assert.Contains("no result given", errors, StringComparison.Ordinal);

        (code, _, errors) = Run("evaluate", "result.h5ad", "--pseudo-spots", "sample");
        Assert.Equal(2, code);
        Assert.Contains("unexpected argument 'result.h5ad'", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void Pseudo_spot_mode_rejects_a_pool_that_does_not_coarsen()
    {
        using var tmp = new Support.TempDir();
        var (code, _, errors) = Run("evaluate", "--pseudo-spots", "missing-sample", "--pool", "1", "--out", tmp.Path);

        Assert.Equal(2, code);
        Assert.Contains("--pool", errors, StringComparison.Ordinal);
    }
}

using Istar.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Istar.Tests.Training;

/// <summary>Our Adam against TorchSharp's: the same parameters after the same steps, bit for bit.</summary>
public class AdamOptimizerTests
{
    [Fact]
    public void Steps_match_torch_adam_exactly_including_a_changed_learning_rate()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(7);
        var init = randn([6, 5], generator: gen);
        var x = randn([32, 5], generator: gen);
        var y = randn([32, 6], generator: gen);
        var ours = new TorchSharp.Modules.Parameter(init.clone());
        var theirs = new TorchSharp.Modules.Parameter(init.clone());
        using var adam = new AdamOptimizer([ours], 3e-3);
        using var reference = optim.Adam([theirs], 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        for (int step = 0; step < 25; step++)
        {
            double lr = step < 10 ? 3e-3 : 1e-3;
            adam.LearningRate = lr;
            foreach (var g in reference.ParamGroups)
            {
                g.LearningRate = lr;
            }

            adam.ZeroGrad();
            reference.zero_grad();
            x.matmul(ours.t()).sub(y).square().mean().backward();
            x.matmul(theirs.t()).sub(y).square().mean().backward();
            adam.Step();
            reference.step();
        }

        Assert.NotEqual(init.data<float>().ToArray(), ours.data<float>().ToArray());
        Assert.Equal(theirs.data<float>().ToArray(), ours.data<float>().ToArray());
    }
}

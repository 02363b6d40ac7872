using SegaLearn.Optimizers;
using SegaLearn.Schedulers;

namespace SegaLearn.Core.Tests.Schedulers;

public sealed class SchedulerValidationTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void DecayMustBeAFinitePositiveNumber(double lrDecay)
    {
        var optimizer = new AdamOptimizer();
        Assert.Equal("lrDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLRScheduler(optimizer, lrDecay: lrDecay)).ParamName);
        Assert.Equal("lrDecay", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLRScheduler(optimizer, lrDecay: lrDecay)).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void DecayEpochMustBePositive(int lrDecayEpoch)
    {
        var optimizer = new AdamOptimizer();
        Assert.Equal("lrDecayEpoch", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLRScheduler(optimizer, lrDecayEpoch: lrDecayEpoch)).ParamName);
        Assert.Equal("lrDecayEpoch", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLRScheduler(optimizer, lrDecayEpoch: lrDecayEpoch)).ParamName);
    }

    [Fact]
    public void OptimizerAndInnerSchedulerAreRequired()
    {
        Assert.Equal("optimizer", Assert.Throws<ArgumentNullException>(() => new StepLRScheduler(null!)).ParamName);
        Assert.Equal("optimizer", Assert.Throws<ArgumentNullException>(() => new ExponentialLRScheduler(null!)).ParamName);
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => new PlateauLRScheduler(null!)).ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void PatienceMustBePositive(int patience)
    {
        var inner = new StepLRScheduler(new AdamOptimizer());
        Assert.Equal("patience", Assert.Throws<ArgumentOutOfRangeException>(() => new PlateauLRScheduler(inner, patience: patience)).ParamName);
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ThresholdMustBeFiniteAndNotNegative(double threshold)
    {
        var inner = new StepLRScheduler(new AdamOptimizer());
        Assert.Equal("threshold", Assert.Throws<ArgumentOutOfRangeException>(() => new PlateauLRScheduler(inner, threshold: threshold)).ParamName);
    }

    [Fact]
    public void ZeroThresholdIsAllowed() => Assert.Equal(0.0, new PlateauLRScheduler(new StepLRScheduler(new AdamOptimizer()), threshold: 0).Threshold);

    [Fact]
    public void DefaultsAreTheSeeds()
    {
        var optimizer = new AdamOptimizer();
        var step = new StepLRScheduler(optimizer);
        var exp = new ExponentialLRScheduler(optimizer);
        var plateau = new PlateauLRScheduler(step);
        Assert.Equal((0.1, 10), (step.LrDecay, step.LrDecayEpoch));
        Assert.Equal((0.1, 10), (exp.LrDecay, exp.LrDecayEpoch));
        Assert.Equal((5, 0.01), (plateau.Patience, plateau.Threshold));
        Assert.Equal((double.PositiveInfinity, 0), (plateau.BestLoss, plateau.Wait));
        Assert.Equal("PlateauLRScheduler(StepLRScheduler(adam, lrDecay: 0.1, lrDecayEpoch: 10), patience: 5, threshold: 0.01)", plateau.ToString());
    }

    [Fact]
    public void NegativeEpochIsRejected()
    {
        var step = new StepLRScheduler(new AdamOptimizer());
        Assert.Equal("epoch", Assert.Throws<ArgumentOutOfRangeException>(() => step.Step(-1, 0)).ParamName);
    }

    [Fact]
    public void PlateauStateRestoresAndContinues()
    {
        var optimizer = new AdamOptimizer(learningRate: 0.1);
        var plateau = new PlateauLRScheduler(new StepLRScheduler(optimizer, lrDecay: 0.5), patience: 3, threshold: 0.01);
        plateau.Restore(bestLoss: 0.7, wait: 2);
        Assert.Equal((0.7, 2), (plateau.BestLoss, plateau.Wait));
        Assert.Equal(PlateauLRScheduler.TriggeredMessage, plateau.Step(10, 0.697));
        Assert.Equal(0.05, optimizer.LearningRate);
        Assert.Equal(0, plateau.Wait);
        Assert.Throws<ArgumentOutOfRangeException>(() => plateau.Restore(0.5, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => plateau.Restore(0.5, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => plateau.Restore(double.NaN, 0));
    }

    [Fact]
    public void ExponentialDecayThatUnderflowsKeepsAPositiveRate()
    {
        var optimizer = new AdamOptimizer(learningRate: 0.1);
        var exp = new ExponentialLRScheduler(optimizer, lrDecay: 10, lrDecayEpoch: 1);
        for (var e = 0; e < 20; e++)
        {
            exp.Step(e, 0);
        }

        Assert.Equal(double.Epsilon, optimizer.LearningRate);
    }
}

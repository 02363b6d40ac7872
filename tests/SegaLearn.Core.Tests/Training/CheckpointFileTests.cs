using SegaLearn.Serialization;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

/// <summary>A checkpoint file written and read back field by field, including the optional parts, and a damaged one.</summary>
public sealed class CheckpointFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("segalearn-ckptfile-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_should_give_back_every_field_that_was_saved(bool optionalParts)
    {
        var path = Path.Combine(_directory, "state.safetensors");
        var saved = Checkpoint(optionalParts);
        saved.Save(path);
        var loaded = TrainingCheckpoint.Load(path);

        Assert.Equal(saved.Architecture, loaded.Architecture);
        Assert.Equal((saved.Seed, saved.NextEpoch, saved.NextStep, saved.ParameterVersion), (loaded.Seed, loaded.NextEpoch, loaded.NextStep, loaded.ParameterVersion));
        Assert.Equal(saved.Parameters, loaded.Parameters);
        Assert.Equal((saved.OptimizerName, saved.OptimizerSteps, saved.LearningRate), (loaded.OptimizerName, loaded.OptimizerSteps, loaded.LearningRate));
        Assert.Equal(saved.OptimizerState.Select(p => p.Key), loaded.OptimizerState.Select(p => p.Key));
        Assert.Equal(saved.OptimizerState.Select(p => p.Value), loaded.OptimizerState.Select(p => p.Value));
        Assert.Equal(saved.SchedulerState, loaded.SchedulerState);
        Assert.Equal((saved.BestLoss, saved.BestEpoch, saved.SinceBest, saved.EpochLossSum), (loaded.BestLoss, loaded.BestEpoch, loaded.SinceBest, loaded.EpochLossSum));
        Assert.Equal(saved.BestParameters, loaded.BestParameters);
        Assert.Equal(saved.History, loaded.History);
    }

    [Fact]
    public void Load_should_refuse_a_file_that_is_no_checkpoint_or_has_damaged_metadata()
    {
        var model = Path.Combine(_directory, "other.safetensors");
        SafeTensorsFile.Write(model, [new SafeTensor("parameters", [1], [1f])], [new("format", "something-else")]);
        Assert.Contains("not a SegaLearn checkpoint", Assert.Throws<BadInputException>(() => TrainingCheckpoint.Load(model)).Message, StringComparison.Ordinal);

        var damaged = Path.Combine(_directory, "damaged.safetensors");
        SafeTensorsFile.Write(damaged, [new SafeTensor("parameters", [1], [1f])], [new("format", "segalearn-checkpoint/2"), new("layers", "2,x")]);
        Assert.Contains("damaged checkpoint metadata", Assert.Throws<BadInputException>(() => TrainingCheckpoint.Load(damaged)).Message, StringComparison.Ordinal);
    }

    private static TrainingCheckpoint Checkpoint(bool optionalParts) => new()
    {
        Architecture = new NetworkArchitecture([2, 3, 1], [Activation.LeakyReLU(0.2f), Activation.Sigmoid]),
        Seed = ulong.MaxValue - 5,
        NextEpoch = 4,
        NextStep = 17,
        ParameterVersion = 123_456_789_012,
        Parameters = [.. Enumerable.Range(0, 13).Select(i => i * 0.1f - 0.5f)],
        OptimizerName = "adam",
        OptimizerSteps = 42,
        LearningRate = 0.1 + 0.2,
        OptimizerState = [new("m", [.. Enumerable.Range(0, 13).Select(i => i * 1e-3f)]), new("v", [.. Enumerable.Range(0, 13).Select(i => i * 1e-6f)])],
        SchedulerState = optionalParts ? [new("best_loss", 0.625), new("wait", 2)] : [],
        BestLoss = 0.6180339887498949,
        BestEpoch = 3,
        SinceBest = 1,
        BestParameters = optionalParts ? [.. Enumerable.Range(0, 13).Select(i => -i * 0.25f)] : null,
        EpochLossSum = 12.5,
        History =
        [
            new EpochMetrics(1, 0.9, 0.5, optionalParts ? 0.95 : null, optionalParts ? 0.45 : null, 0.3, 1.25, 4000, 0.125),
            new EpochMetrics(2, 0.7, null, double.NaN, null, 0.03, 1.5, 3500, 0.25),
        ],
    };
}

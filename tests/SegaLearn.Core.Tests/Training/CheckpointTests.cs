using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "segalearn-ckpt-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static (DenseFeatures X, int[] Y) Data()
    {
        var random = new DeterministicRandom(21);
        var x = new float[90 * 5];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        return (new DenseFeatures(x, 90, 5), Enumerable.Range(0, 90).Select(i => (i * 7) % 3).ToArray());
    }

    private static NeuralNetwork Network() => new([5, 6, 3], dropoutRate: 0.3, regLambda: 0.01, seed: 5, backend: new ReferenceBackend());

    private static TrainingHistory Train(
        NeuralNetwork network, CheckpointOptions? options, Action<TrainingEvent>? progress = null, CancellationToken token = default, WireFormat wire = WireFormat.Float32)
    {
        var (x, y) = Data();
        var optimizer = new AdamOptimizer(learningRate: 0.01);
        var scheduler = new PlateauLRScheduler(new StepLRScheduler(optimizer, lrDecay: 0.5, lrDecayEpoch: 2), patience: 1, threshold: 0.5);
        return network.Train(x, y, optimizer, epochs: 6, batchSize: 16, lrScheduler: scheduler, earlyStoppingThreshold: 0,
            progress: progress, microbatchSize: 5, checkpoints: options, cancellationToken: token, wire: wire);
    }

    [Theory]
    [InlineData(3, 7, WireFormat.Float32)]
    [InlineData(6, 12, WireFormat.Float32)]
    [InlineData(4, 29, WireFormat.Float32)]
    [InlineData(4, 29, WireFormat.BFloat16)]
    public void Resume_should_finish_with_the_same_bits_as_an_uninterrupted_run(int every, int stopAfterSteps, WireFormat wire)
    {
        var uninterrupted = Network();
        var expectedHistory = Train(uninterrupted, null, wire: wire);

        using var stop = new CancellationTokenSource();
        var steps = 0;
        var options = new CheckpointOptions(_directory, every, Resume: true);
        Assert.Throws<OperationCanceledException>(() => Train(Network(), options, e =>
        {
            if (e is StepCompleted && ++steps == stopAfterSteps)
            {
                stop.Cancel();
            }
        }, stop.Token, wire));
        Assert.Equal(wire, TrainingCheckpoint.Load(options.FilePath).Wire);
        Assert.True(File.Exists(options.FilePath));

        var resumed = Network();
        var messages = new List<string>();
        var history = Train(resumed, options, e => { if (e is TrainingMessage m) { messages.Add(m.Text); } }, wire: wire);
        Assert.StartsWith("resumed from ", messages[0], StringComparison.Ordinal);
        Assert.Equal(uninterrupted.Parameters, resumed.Parameters);
        Assert.Equal(expectedHistory.Epochs.Select(e => e.TrainLoss), history.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(expectedHistory.Epochs.Select(e => e.LearningRate), history.Epochs.Select(e => e.LearningRate));
    }

    [Fact]
    public void Resume_should_refuse_a_checkpoint_made_in_another_wire_format_and_read_none_as_float32()
    {
        var options = new CheckpointOptions(_directory, 2, Resume: true);
        Train(Network(), options, wire: WireFormat.BFloat16);
        var error = Assert.Throws<BadInputException>(() => Train(Network(), options, wire: WireFormat.Float32));
        Assert.Contains("wire format bfloat16, this run uses float32", error.Message, StringComparison.Ordinal);

        var checkpoint = TrainingCheckpoint.Load(options.FilePath);
        var content = SegaLearn.Serialization.SafeTensorsFile.Read(options.FilePath);
        SegaLearn.Serialization.SafeTensorsFile.Write(options.FilePath, content.Tensors, content.Metadata.Where(p => p.Key != "wire").ToList());
        Assert.Equal(WireFormat.Float32, TrainingCheckpoint.Load(options.FilePath).Wire);
        Assert.Equal(WireFormat.BFloat16, checkpoint.Wire);
    }

    [Fact]
    public void Resume_should_refuse_a_checkpoint_of_a_different_model()
    {
        var options = new CheckpointOptions(_directory, 2, Resume: true);
        Train(Network(), options);
        var (x, y) = Data();
        var other = new NeuralNetwork([5, 7, 3], seed: 5, backend: new ReferenceBackend());
        var error = Assert.Throws<BadInputException>(() => other.Train(x, y, epochs: 1, checkpoints: options));
        Assert.Contains("different model", error.Message, StringComparison.Ordinal);
    }
}

using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;
using SegaLearn.Serialization;
using SegaLearn.Training;

namespace SegaLearn.Core.Tests.Network;

/// <summary>The seed module's example, line for line in C#, and a saved model's round trip.</summary>
public sealed class SeedExampleTests
{
    [Fact]
    public void Seed_example_should_train_100_epochs_with_step_decay_and_evaluate()
    {
        // X_train = np.random.rand(100, 10); y_train = np.random.randint(0, 2, size=(100,))
        var data = BuiltInDatasets.Synthetic(seed: 42);
        var nn = new NeuralNetwork(layerSizes: [10, 5, 1], dropoutRate: 0.2, regLambda: 0.01, seed: 42);
        var optimizer = new AdamOptimizer(learningRate: 0.001);
        var scheduler = new StepLRScheduler(optimizer, lrDecay: 0.1, lrDecayEpoch: 10);
        var messages = new List<string>();
        var history = nn.Train(data.Features, data.Labels, optimizer: optimizer, epochs: 100, batchSize: 32, lrScheduler: scheduler,
            progress: e => { if (e is TrainingMessage m) { messages.Add(m.Text); } });
        var (accuracy, predictions) = nn.Evaluate(data.Features, data.Labels);

        Assert.Equal(100, predictions.Length);
        Assert.InRange(accuracy, 0.0, 1.0);
        Assert.Equal("  --Decaying learning rate stepped at epoch 10 from 0.001 to 0.0001", messages[0]);
        Assert.Equal(history.Epochs.Count < 100, history.StoppedEarly);
        Assert.Equal(0.001, history.Epochs[0].LearningRate);
        Assert.Equal(0.0001, history.Epochs[11].LearningRate, 15);
        Assert.All(history.Epochs, e => Assert.True(double.IsFinite(e.TrainLoss)));
    }

    [Fact]
    public void Saved_model_should_reload_with_bitwise_identical_probabilities()
    {
        var data = BuiltInDatasets.BreastCancer();
        var standardizer = Standardizer.Fit(data.Features);
        var x = standardizer.Transform(data.Features);
        var nn = new NeuralNetwork([30, 8, 1], seed: 3, backend: new ReferenceBackend());
        nn.Train(x, data.Labels, epochs: 3);
        var path = Path.Combine(Path.GetTempPath(), $"seed-example-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModelFile.Save(path, nn.Architecture, nn.Parameters);
            var loaded = ModelFile.Load(path);
            var again = new NeuralNetwork(loaded.Architecture, loaded.Parameters, backend: new ReferenceBackend());
            Assert.Equal(nn.Architecture, again.Architecture);
            Assert.Equal(nn.PredictProbabilities(x), again.PredictProbabilities(x));
            Assert.Equal(nn.Predict(x), again.Predict(x));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

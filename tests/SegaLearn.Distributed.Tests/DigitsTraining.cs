using SegaLearn.Compute;
using SegaLearn.Coordinator;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Protocol;

namespace SegaLearn.Distributed.Tests;

/// <summary>The digits job the cluster specs train twice, once in this process and once through an engine, to compare bits.</summary>
internal static class DigitsTraining
{
    /// <summary>The training set, its canonical bytes, and the reference remote workers load it by (<paramref name="spec"/>: a name or a path).</summary>
    public static (LabeledData Train, byte[] Blob, DataReference Reference) Prepare(string spec = "digits")
    {
        var prepared = PreparedData.Load("digits", null, 5, 0.25);
        var blob = prepared.TrainingBlob();
        return (prepared.Train, blob, new DataReference(spec, null, 5, 0.25, true, TrainingSetBlob.Sha256(blob), blob.Length));
    }

    /// <summary>Two epochs of Adam on a 64-16-10 network; the parameters at the end.</summary>
    public static float[] Train(LabeledData train, ActorTrainingEngine? engine)
    {
        var network = new NeuralNetwork(new NetworkArchitecture([64, 16, 10]), null, 0.1, 0.01, 5, new ReferenceBackend());
        network.Train(train.Features, train.Labels, new AdamOptimizer(learningRate: 0.01), epochs: 2, batchSize: 100, microbatchSize: 16, engine: engine);
        return network.Parameters.ToArray();
    }
}

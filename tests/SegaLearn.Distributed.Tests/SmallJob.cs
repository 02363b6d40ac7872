using SegaLearn.Compute;
using SegaLearn.Data;
using SegaLearn.Training;

namespace SegaLearn.Distributed.Tests;

/// <summary>A small classification job with dropout on, and the single-process gradient the actors must reproduce.</summary>
internal sealed class SmallJob
{
    public const int Microbatch = 4;

    public SmallJob(int rows = 40, ulong seed = 7)
    {
        var random = new DeterministicRandom(seed);
        var values = new float[rows * 6];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)random.NextGaussian();
        }

        Labels = Enumerable.Range(0, rows).Select(_ => random.NextInt(3)).ToArray();
        Features = new DenseFeatures(values, rows, 6);
        Architecture = new NetworkArchitecture([6, 5, 3]);
        Job = new TrainingJob(Architecture, Features, Labels, seed, 0.25, Microbatch, rows, new ReferenceBackend());
        Parameters = new NeuralNetwork(Architecture, null, 0.25, 0.0, seed, new ReferenceBackend()).Parameters.ToArray();
    }

    public NetworkArchitecture Architecture { get; }

    public DenseFeatures Features { get; }

    public int[] Labels { get; }

    public TrainingJob Job { get; }

    public float[] Parameters { get; }

    public int ParameterCount => Parameters.Length;

    /// <summary>The gradient sum of a step as the single-process engine computes it.</summary>
    public (float[] Gradient, StepResult Result) SingleProcess(StepWork work)
    {
        using var engine = new LocalTrainingEngine();
        engine.Start(Job);
        var gradient = new float[ParameterCount];
        var result = engine.ComputeGradient(work, Parameters, 0, gradient);
        return (gradient, result);
    }

    /// <summary>Computes an assigned block as a worker would, into <paramref name="gradient"/>; returns the loss sum.</summary>
    public double ComputeBlock(Protocol.AssignWork work, float[] parameters, float[] gradient)
    {
        var replica = new ModelReplica(Architecture, new ReferenceBackend(), Microbatch, Job.DropoutRate, Job.Seed);
        return new BlockGradient(replica, Microbatch).Compute(parameters, Features, Labels, work.Rows, work.Epoch, work.Step, work.FirstSample, gradient);
    }

    public static StepWork Work(int epoch, int step, int count, int offset = 0) =>
        new(epoch, step, Enumerable.Range(0, count).Select(i => (i * 7 + offset) % count).ToArray());
}

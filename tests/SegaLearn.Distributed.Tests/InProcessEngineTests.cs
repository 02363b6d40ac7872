using SegaLearn.Compute;
using SegaLearn.Coordinator;
using SegaLearn.Hosting;
using SegaLearn.Data;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;

namespace SegaLearn.Distributed.Tests;

public sealed class InProcessEngineTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Train_should_give_the_single_process_parameters_bit_for_bit_on_in_process_workers(int workers)
    {
        // 40 rows in batches of 18 leave a short last batch of 4; microbatches of 4 split 18 as 4+4+4+4+2, unevenly over 3 workers.
        var job = new SmallJob(rows: 40);
        var expected = Train(job, engine: null);
        using var engine = ActorTrainingEngines.InProcess(workers, threadsPerWorker: 1);
        var actual = Train(job, engine);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Train_should_give_the_single_process_parameters_bit_for_bit_for_a_huber_regression(int workers)
    {
        var job = new SmallJob(rows: 40);
        var random = new DeterministicRandom(11);
        float[] targets = [.. Enumerable.Range(0, 40 * 2).Select(_ => (float)random.NextGaussian())];
        var architecture = new NetworkArchitecture([6, 5, 2], loss: LossKind.Huber, huberDelta: 0.5);
        float[] Run(ActorTrainingEngine? engine)
        {
            var network = new NeuralNetwork(architecture, null, 0.25, 0.01, 7, new ReferenceBackend());
            network.Train(job.Features, Targets.FromValues(targets, 2), new AdamOptimizer(learningRate: 0.01), epochs: 3, batchSize: 18, microbatchSize: SmallJob.Microbatch, engine: engine);
            return network.Parameters.ToArray();
        }

        var expected = Run(null);
        using var engine = ActorTrainingEngines.InProcess(workers, threadsPerWorker: 1);
        Assert.Equal(expected, Run(engine));
    }

    private static float[] Train(SmallJob job, ActorTrainingEngine? engine)
    {
        var network = new NeuralNetwork(job.Architecture, null, 0.25, 0.01, 7, new ReferenceBackend());
        var optimizer = new AdamOptimizer(learningRate: 0.01);
        network.Train(job.Features, job.Labels, optimizer, epochs: 3, batchSize: 18, lrScheduler: new StepLRScheduler(optimizer, lrDecay: 0.5, lrDecayEpoch: 1), microbatchSize: SmallJob.Microbatch, engine: engine);
        return network.Parameters.ToArray();
    }
}

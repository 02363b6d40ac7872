using Akka.Actor;
using Akka.TestKit;
using SegaLearn.Compute;
using SegaLearn.Coordinator;
using SegaLearn.Protocol;
using SegaLearn.Training;

namespace SegaLearn.Distributed.Tests;

/// <summary>The coordinator's protocol, driven by <see cref="TestProbe"/> workers that compute blocks with Core's own classes.</summary>
public sealed class CoordinatorSpecs() : Akka.TestKit.Xunit2.TestKit(ActorSpecConfig.SerializeMessages)
{
    /// <summary>
    /// How long a spec watches for a message that must not come. The coordinator answers within milliseconds, so a
    /// message it would wrongly send arrives well inside this; waiting longer would only slow the suite.
    /// </summary>
    private static readonly TimeSpan Silence = TimeSpan.FromMilliseconds(100);

    private readonly SmallJob _job = new();

    private string Identity => _job.Job.Backend.NumericIdentity;
    private IActorRef _coordinator = ActorRefs.Nobody;

    [Fact]
    public void Coordinator_should_reduce_worker_gradients_to_the_single_process_bits_when_blocks_come_back_out_of_order()
    {
        var (coordinator, trainer) = BeginJob(minWorkers: 3);
        var workers = Enumerable.Range(1, 3).Select(i => Register(coordinator, $"w{i}", credits: 2)).ToArray();
        trainer.ExpectMsg<JobReady>(r => Assert.Equal(3, r.Workers));

        var work = SmallJob.Work(epoch: 1, step: 2, count: 30);
        var gradient = new float[_job.ParameterCount];
        trainer.Send(coordinator, new RunStep(work, _job.Parameters, 5, gradient));
        var assigned = ReceiveAssignments(microbatches: 8, workers);
        foreach (var (probe, assignment) in Enumerable.Reverse(assigned))
        {
            Answer(probe, assignment);
        }

        var finished = trainer.ExpectMsg<StepFinished>();
        var (expected, expectedResult) = _job.SingleProcess(work);
        Assert.Equal(expected, gradient);
        Assert.Equal(expectedResult.SampleCount, finished.Result.SampleCount);
        Assert.Equal(expectedResult.LossSum, finished.Result.LossSum, 12);
    }

    [Fact]
    public void Coordinator_should_drop_duplicate_and_late_replies_when_a_block_is_answered_twice()
    {
        var (coordinator, trainer, worker, work, gradient) = StepOnOneWorker();
        var first = worker.ExpectMsg<LocalAssignWork>();
        var copy = new float[_job.ParameterCount];

        Answer(worker, first);
        _job.ComputeBlock(first.Work, first.Parameters, copy);
        worker.Reply(new LocalWorkDone(first.Work, first.Work.Rows.Length, 0, copy.Select(v => v + 1).ToArray(), 0));
        var rest = ReceiveAssignments(24 / SmallJob.Microbatch - first.Work.MicrobatchCount, worker);
        foreach (var (probe, assignment) in rest)
        {
            Answer(probe, assignment);
        }

        var finished = trainer.ExpectMsg<StepFinished>();
        Assert.Equal(1, finished.Metrics.Duplicates);
        Assert.Equal(_job.SingleProcess(work).Gradient, gradient);

        // A late reply to a finished step must change nothing: there is no event to wait for, only silence.
        worker.Send(coordinator, new LocalWorkDone(first.Work, first.Work.Rows.Length, 0, copy, 0));
        trainer.ExpectNoMsg(Silence);
    }

    [Fact]
    public void Coordinator_should_ignore_a_gradient_that_another_jobs_data_plane_delivers_for_a_block_of_this_step()
    {
        var (coordinator, trainer, worker, work, gradient) = StepOnOneWorker();
        var assigned = ReceiveAssignments(24 / SmallJob.Microbatch, worker);
        var first = assigned[0].Assignment.Work;
        var header = new FrameHeader
        {
            Kind = FrameKind.Gradient,
            JobId = FrameCodec.JobIdOf("a job that has ended"),
            ParameterVersion = first.ParameterVersion,
            Epoch = first.Epoch,
            Step = first.Step,
            FirstMicrobatch = first.FirstMicrobatch,
            MicrobatchCount = first.MicrobatchCount,
            SampleCount = first.Rows.Length,
            ElementCount = _job.ParameterCount,
        };
        var foreign = Enumerable.Repeat(1f, _job.ParameterCount).ToArray();
        coordinator.Tell(new DataPlaneEvent.GradientArrived(99, ReceivedGradient.Owned(header, foreign, new GradientBufferPool(_job.ParameterCount))));
        foreach (var (probe, assignment) in assigned)
        {
            Answer(probe, assignment);
        }

        var finished = trainer.ExpectMsg<StepFinished>();
        Assert.Equal(0, finished.Metrics.Duplicates);
        Assert.Equal(_job.SingleProcess(work).Gradient, gradient);
    }

    [Fact]
    public void Coordinator_should_reassign_blocks_of_a_worker_that_dies()
    {
        var (coordinator, trainer) = BeginJob(minWorkers: 2);
        var doomed = Register(coordinator, "doomed", credits: 2);
        var survivor = Register(coordinator, "survivor", credits: 2);
        trainer.ExpectMsg<JobReady>();
        var work = SmallJob.Work(0, 3, 32);
        var gradient = new float[_job.ParameterCount];
        trainer.Send(coordinator, new RunStep(work, _job.Parameters, 3, gradient));
        doomed.ExpectMsg<LocalAssignWork>();
        var kept = survivor.ExpectMsg<LocalAssignWork>();
        Watch(doomed.Ref);
        Sys.Stop(doomed.Ref);
        ExpectTerminated(doomed.Ref);

        Answer(survivor, kept);
        var reassigned = survivor.ExpectMsg<LocalAssignWork>();
        Answer(survivor, reassigned);
        var finished = trainer.ExpectMsg<StepFinished>();
        Assert.Equal(1, finished.Metrics.Reassigned);
        Assert.Equal(_job.SingleProcess(work).Gradient, gradient);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(0f)]
    public void Coordinator_should_reject_an_invalid_gradient_and_recompute_it_on_another_worker(float poison)
    {
        var (coordinator, trainer) = BeginJob(minWorkers: 2);
        var bad = Register(coordinator, "bad", credits: 1);
        var good = Register(coordinator, "good", credits: 1);
        trainer.ExpectMsg<JobReady>();
        var work = SmallJob.Work(2, 0, 16);
        var gradient = new float[_job.ParameterCount];
        trainer.Send(coordinator, new RunStep(work, _job.Parameters, 9, gradient));
        var badBlock = bad.ExpectMsg<LocalAssignWork>();
        var goodBlock = good.ExpectMsg<LocalAssignWork>();

        // poison 0 stands for a gradient of the wrong length.
        var wrong = float.IsFinite(poison) ? new float[_job.ParameterCount - 1] : Enumerable.Repeat(poison, _job.ParameterCount).ToArray();
        bad.Send(coordinator, new LocalWorkDone(badBlock.Work, badBlock.Work.Rows.Length, 0, wrong, 0));

        // The rejected block may go neither back to the worker that got it wrong nor to the good one, whose one credit
        // is taken: nothing may arrive until the good worker answers, and that absence is all there is to see.
        good.ExpectNoMsg(Silence);
        Answer(good, goodBlock);
        var recomputed = good.ExpectMsg<LocalAssignWork>();
        Assert.Equal(badBlock.Work.FirstMicrobatch, recomputed.Work.FirstMicrobatch);
        bad.ExpectNoMsg(Silence);
        Answer(good, recomputed);

        var finished = trainer.ExpectMsg<StepFinished>();
        Assert.Equal(1, finished.Metrics.Rejected);
        Assert.Equal(_job.SingleProcess(work).Gradient, gradient);
    }

    [Fact]
    public void Coordinator_should_remove_a_worker_that_keeps_returning_invalid_gradients()
    {
        var (coordinator, trainer) = BeginJob(minWorkers: 1);
        var bad = Register(coordinator, "bad", credits: 1);
        trainer.ExpectMsg<JobReady>();
        var work = SmallJob.Work(0, 0, 4);
        trainer.Send(coordinator, new RunStep(work, _job.Parameters, 1, new float[_job.ParameterCount]));
        for (var strike = 0; strike < new CoordinatorSettings().MaxStrikes; strike++)
        {
            var block = bad.ExpectMsg<LocalAssignWork>();
            bad.Reply(new LocalWorkDone(block.Work, block.Work.Rows.Length, double.NaN, block.Gradient, 0));
        }

        Assert.Contains("invalid gradients", bad.ExpectMsg<WorkerRefused>().Reason);
        var late = Register(coordinator, "late", credits: 1);
        Answer(late, late.ExpectMsg<LocalAssignWork>());
        trainer.ExpectMsg<StepFinished>();
    }

    [Fact]
    public void Coordinator_should_give_a_worker_joining_mid_training_the_current_parameters_with_its_first_block()
    {
        var (coordinator, trainer) = BeginJob(minWorkers: 1);
        var first = Register(coordinator, "first", credits: 1);
        trainer.ExpectMsg<JobReady>();
        trainer.Send(coordinator, new RunStep(SmallJob.Work(0, 0, 8), _job.Parameters, 1, new float[_job.ParameterCount]));
        Answer(first, first.ExpectMsg<LocalAssignWork>());
        trainer.ExpectMsg<StepFinished>();

        var joiner = Register(coordinator, "joiner", credits: 1);
        var next = _job.Parameters.Select(v => v * 0.5f).ToArray();
        var work = SmallJob.Work(0, 1, 8, offset: 3);
        var gradient = new float[_job.ParameterCount];
        trainer.Send(coordinator, new RunStep(work, next, 2, gradient));
        var joined = joiner.ExpectMsg<LocalAssignWork>();
        Assert.Same(next, joined.Parameters);
        Assert.Equal(2, joined.Work.ParameterVersion);
        Answer(joiner, joined);
        Answer(first, first.ExpectMsg<LocalAssignWork>());
        trainer.ExpectMsg<StepFinished>();
    }

    [Fact]
    public void Coordinator_should_refuse_a_worker_of_another_protocol_job_token_architecture_or_numeric_identity()
    {
        var (coordinator, _) = BeginJob(minWorkers: 1);
        var probe = CreateTestProbe();
        probe.Send(coordinator, new WorkerHello(ProtocolInfo.Version + 1, "old", 1));
        Assert.Contains("protocol", probe.ExpectMsg<WorkerRefused>().Reason);

        probe.Send(coordinator, new WorkerHello(ProtocolInfo.Version, "w", 1));
        var offer = probe.ExpectMsg<LocalJobOffer>().Offer;
        var hash = ArchitectureHash.Compute(_job.Architecture);
        probe.Reply(new RegisterWorker("another-job", offer.Token, ProtocolInfo.Version, hash, "w", Identity));
        Assert.Contains("job another-job", probe.ExpectMsg<WorkerRefused>().Reason);
        probe.Reply(new RegisterWorker(offer.JobId, new string('0', offer.Token.Length), ProtocolInfo.Version, hash, "w", Identity));
        Assert.Contains("wrong job token", probe.ExpectMsg<WorkerRefused>().Reason);
        probe.Reply(new RegisterWorker(offer.JobId, offer.Token, ProtocolInfo.Version - 1, hash, "w", Identity));
        Assert.Contains("protocol", probe.ExpectMsg<WorkerRefused>().Reason);
        probe.Reply(new RegisterWorker(offer.JobId, offer.Token, ProtocolInfo.Version, ArchitectureHash.Compute(new NetworkArchitecture([6, 4, 3])), "w", Identity));
        Assert.Contains("architecture hash", probe.ExpectMsg<WorkerRefused>().Reason);
        probe.Reply(new RegisterWorker(offer.JobId, offer.Token, ProtocolInfo.Version, hash, "w", new SimdBackend(threads: 1, VectorWidth.Scalar).NumericIdentity));
        Assert.Contains("would differ in the last bits", probe.ExpectMsg<WorkerRefused>().Reason);
        probe.Reply(new RegisterWorker(offer.JobId, offer.Token, ProtocolInfo.Version, hash, "w", Identity));
        probe.ExpectMsg<WorkerAccepted>();
    }

    [Fact]
    public void Coordinator_should_offer_the_job_once_to_a_worker_that_greets_repeatedly()
    {
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(new CoordinatorSettings()));
        _coordinator = coordinator;
        var worker = CreateTestProbe();
        worker.Send(coordinator, new WorkerHello(ProtocolInfo.Version, "eager", 1));
        worker.Send(coordinator, new WorkerHello(ProtocolInfo.Version, "eager", 1));
        var trainer = CreateTestProbe();
        trainer.Send(coordinator, new BeginJob(_job.Job, null, null, 1));

        var offer = worker.ExpectMsg<LocalJobOffer>().Offer;

        // A second offer would follow the first at once; its absence is all there is to see.
        worker.ExpectNoMsg(Silence);
        worker.Send(coordinator, new RegisterWorker(offer.JobId, offer.Token, ProtocolInfo.Version, ArchitectureHash.Compute(_job.Architecture), "eager", Identity));
        worker.ExpectMsg<WorkerAccepted>();
        worker.Send(coordinator, new WorkerHello(ProtocolInfo.Version, "eager", 1));
        worker.ExpectNoMsg(Silence);
        trainer.ExpectNoMsg(TimeSpan.Zero);
        worker.Send(coordinator, new RequestWork(offer.JobId, 1));
        trainer.ExpectMsg<JobReady>();
    }

    [Fact]
    public void Worker_should_register_once_when_offered_the_same_job_twice()
    {
        var coordinator = CreateTestProbe();
        var settings = new Worker.WorkerSettings { Name = "w", Threads = 1, HelloInterval = TimeSpan.FromSeconds(30) };
        Sys.ActorOf(Worker.WorkerActor.Props(settings, coordinator.Ref.Path.ToString()));
        coordinator.ExpectMsg<WorkerHello>();
        var offer = new JobOffer("job", "token", ProtocolInfo.Version, "6,5,3", "relu,softmax", "cross-entropy", 0.25, 7, SmallJob.Microbatch, "reference", new DataReference("in-process", null, 0, 0, false, "", 0), 0);
        coordinator.Reply(new LocalJobOffer(offer, _job.Job));
        coordinator.Reply(new LocalJobOffer(offer, _job.Job));

        var register = coordinator.ExpectMsg<RegisterWorker>();
        Assert.Equal(ArchitectureHash.Compute(_job.Architecture), register.ArchitectureHash);
        Assert.Equal(new ReferenceBackend().NumericIdentity, register.NumericIdentity);

        // A second registration would follow the first at once; its absence is all there is to see.
        coordinator.ExpectNoMsg(Silence);
    }

    private (IActorRef Coordinator, TestProbe Trainer) BeginJob(int minWorkers)
    {
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(new CoordinatorSettings()));
        _coordinator = coordinator;
        var trainer = CreateTestProbe();
        trainer.Send(coordinator, new BeginJob(_job.Job, null, null, minWorkers));
        return (coordinator, trainer);
    }

    /// <summary>A job on one worker with 4 credits, running step 0 of 24 rows at parameter version 1.</summary>
    private (IActorRef Coordinator, TestProbe Trainer, TestProbe Worker, StepWork Work, float[] Gradient) StepOnOneWorker()
    {
        var (coordinator, trainer) = BeginJob(minWorkers: 1);
        var worker = Register(coordinator, "w1", credits: 4);
        trainer.ExpectMsg<JobReady>();
        var work = SmallJob.Work(0, 0, 24);
        var gradient = new float[_job.ParameterCount];
        trainer.Send(coordinator, new RunStep(work, _job.Parameters, 1, gradient));
        return (coordinator, trainer, worker, work, gradient);
    }

    private TestProbe Register(IActorRef coordinator, string name, int credits)
    {
        var probe = CreateTestProbe();
        probe.Send(coordinator, new WorkerHello(ProtocolInfo.Version, name, 1));
        var offer = probe.ExpectMsg<LocalJobOffer>().Offer;
        probe.Reply(new RegisterWorker(offer.JobId, offer.Token, ProtocolInfo.Version, ArchitectureHash.Compute(_job.Architecture), name, Identity));
        probe.ExpectMsg<WorkerAccepted>();
        probe.Reply(new RequestWork(offer.JobId, credits));
        return probe;
    }

    /// <summary>
    /// The assignments sent to <paramref name="probes"/> (to whichever of them the coordinator chose), received as
    /// they come until they cover <paramref name="microbatches"/> microbatches.
    /// </summary>
    private List<(TestProbe Probe, LocalAssignWork Assignment)> ReceiveAssignments(int microbatches, params TestProbe[] probes)
    {
        var assigned = new List<(TestProbe Probe, LocalAssignWork Assignment)>();
        AwaitCondition(
            () =>
            {
                foreach (var probe in probes.Where(p => p.HasMessages))
                {
                    assigned.Add((probe, probe.ExpectMsg<LocalAssignWork>()));
                }

                return assigned.Sum(a => a.Assignment.Work.MicrobatchCount) >= microbatches;
            },
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(5),
            $"assignments covering {microbatches} microbatches");
        Assert.Equal(microbatches, assigned.Sum(a => a.Assignment.Work.MicrobatchCount));
        return assigned;
    }

    private void Answer(TestProbe probe, LocalAssignWork assignment)
    {
        var loss = _job.ComputeBlock(assignment.Work, assignment.Parameters, assignment.Gradient);
        probe.Send(_coordinator, new LocalWorkDone(assignment.Work, assignment.Work.Rows.Length, loss, assignment.Gradient, 1));
    }
}

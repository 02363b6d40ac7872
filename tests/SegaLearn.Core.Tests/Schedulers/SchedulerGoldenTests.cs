using System.Text.Json;
using SegaLearn.Optimizers;
using SegaLearn.Schedulers;

namespace SegaLearn.Core.Tests.Schedulers;

/// <summary>Drives the schedulers over the golden 25 epochs of the original module (schedulers.json).</summary>
public sealed class SchedulerGoldenTests
{
    private static readonly JsonElement Golden = GoldenFiles.Load("schedulers.json");

    public static TheoryData<string> DecayBlocks => new() { "step_lr0.1_decay0.5_every5", "step_wtiny_lr1e-3_decay0.1_every10", "exp_lr0.1_decay0.1_every5" };

    public static TheoryData<string> PlateauBlocks => new() { "plateau_over_step_decay0.5_patience3_thr0.01", "plateau_over_exp_decay0.1_patience3_thr0.01" };

    [Theory]
    [MemberData(nameof(DecayBlocks))]
    public void DecaySchedulersReproduceTheGoldenRatesAndPrintTheRealOldAndNewRates(string block)
    {
        var golden = Golden.GetProperty(block);
        var optimizer = new AdamOptimizer(learningRate: golden.GetProperty("init_lr").GetDouble());
        var scheduler = Create(golden.GetProperty("call").GetString()!, optimizer);
        var exact = scheduler is StepLRScheduler;
        var previous = optimizer.LearningRate;
        var rows = golden.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Equal(25, rows.Length);
        var messages = 0;
        foreach (var row in rows)
        {
            var epoch = row.GetProperty("epoch").GetInt32();
            var message = scheduler.Step(epoch, loss: double.NaN);
            var expected = row.GetProperty("lr_after").GetDouble();
            var where = $"{block} epoch {epoch}";
            if (exact || epoch < 10)
            {
                AssertBitwise(expected, optimizer.LearningRate, where);
            }
            else
            {
                // The golden ran NumPy's own SIMD exp, which returns exp(-1.0) and exp(-2.0) one ulp above the correctly
                // rounded value that Math.Exp (like Python's math.exp) gives; products then drift by an ulp or two.
                Assert.True(UlpDistance(expected, optimizer.LearningRate) <= 4, $"{where}: expected {PythonFloat.Repr(expected)}, got {PythonFloat.Repr(optimizer.LearningRate)}");
            }

            var goldenMessage = row.GetProperty("message");
            if (goldenMessage.ValueKind == JsonValueKind.Null)
            {
                Assert.Null(message);
            }
            else
            {
                // The original decayed first and then printed the new rate as "from": its "from" is our "to".
                var text = goldenMessage.GetString()!;
                var from = text.IndexOf(" from ", StringComparison.Ordinal);
                var originalFrom = text[(from + " from ".Length)..text.IndexOf(" to ", from, StringComparison.Ordinal)];
                Assert.Equal(PythonFloat.Repr(expected), originalFrom);
                Assert.Equal($"{text[..from]} from {PythonFloat.Repr(previous)} to {PythonFloat.Repr(optimizer.LearningRate)}", message);
                if (exact || epoch < 10)
                {
                    Assert.Equal($"{text[..from]} from {PythonFloat.Repr(previous)} to {originalFrom}", message);
                }
                messages++;
            }

            previous = optimizer.LearningRate;
        }

        Assert.True(messages >= 2);
    }

    [Theory]
    [MemberData(nameof(PlateauBlocks))]
    public void PlateauSchedulerReproducesTheGoldenRatesMessagesAndState(string block)
    {
        var golden = Golden.GetProperty(block);
        var optimizer = new AdamOptimizer(learningRate: golden.GetProperty("init_lr").GetDouble());
        var call = golden.GetProperty("call").GetString()!;
        Assert.EndsWith(", patience=3, threshold=0.01)", call, StringComparison.Ordinal);
        var inner = (IReducibleScheduler)Create(call["lr_scheduler_plateau(".Length..], optimizer);
        var scheduler = new PlateauLRScheduler(inner, patience: 3, threshold: 0.01);
        var losses = GoldenFiles.Vector(golden.GetProperty("losses"));
        var triggered = 0;
        foreach (var row in golden.GetProperty("rows").EnumerateArray())
        {
            var epoch = row.GetProperty("epoch").GetInt32();
            Assert.Equal(losses[epoch], row.GetProperty("loss").GetDouble());
            var message = scheduler.Step(epoch, losses[epoch]);
            var where = $"{block} epoch {epoch}";
            AssertBitwise(row.GetProperty("lr_after").GetDouble(), optimizer.LearningRate, where);
            var goldenMessage = row.GetProperty("message");
            Assert.Equal(goldenMessage.ValueKind == JsonValueKind.Null ? null : goldenMessage.GetString(), message);
            AssertBitwise(row.GetProperty("best_loss").GetDouble(), scheduler.BestLoss, where);
            Assert.Equal(row.GetProperty("wait").GetInt32(), scheduler.Wait);
            triggered += message is null ? 0 : 1;
        }

        Assert.Equal(4, triggered);
    }

    [Fact]
    public void StepMessageAtEpochFiveNamesTheRealRates()
    {
        var optimizer = new AdamOptimizer(learningRate: 0.1);
        var scheduler = new StepLRScheduler(optimizer, lrDecay: 0.5, lrDecayEpoch: 5);
        for (var e = 0; e < 5; e++)
        {
            Assert.Null(scheduler.Step(e, 1.0));
        }

        Assert.Equal("  --Decaying learning rate stepped at epoch 5 from 0.1 to 0.05", scheduler.Step(5, 1.0));
    }

    [Fact]
    public void StepReduceMatchesTheGoldenReduceWithTheRealRates()
    {
        var golden = Golden.GetProperty("reduce_messages");
        var optimizer = new AdamOptimizer(learningRate: 0.1);
        var message = new StepLRScheduler(optimizer, lrDecay: 0.5, lrDecayEpoch: 5).Reduce();
        AssertBitwise(golden.GetProperty("lr_after").GetDouble(), optimizer.LearningRate, "step reduce");
        Assert.Equal("  --Decaying learning rate from 0.05 to 0.025", golden.GetProperty("step_reduce_from_0.1").GetString());
        Assert.Equal("  --Decaying learning rate from 0.1 to 0.05", message);
    }

    [Fact]
    public void ExponentialReduceMatchesTheGoldenReduceWithTheRealRates()
    {
        var golden = Golden.GetProperty("reduce_messages");
        var optimizer = new AdamOptimizer(learningRate: 0.1);
        var message = new ExponentialLRScheduler(optimizer, lrDecay: 0.1, lrDecayEpoch: 5).Reduce();
        var expected = golden.GetProperty("exp_lr_after").GetDouble();
        AssertBitwise(expected, optimizer.LearningRate, "exp reduce");
        Assert.Equal(
            "  --Decaying learning rate exponentially from 0.09048374180359596 to 0.08187307530779818",
            golden.GetProperty("exp_reduce_from_0.1").GetString());
        Assert.Equal($"  --Decaying learning rate exponentially from 0.1 to {PythonFloat.Repr(expected)}", message);
        Assert.Equal("  --Decaying learning rate exponentially from 0.1 to 0.09048374180359596", message);
    }

    private static IReducibleScheduler Create(string call, Optimizer optimizer)
    {
        // e.g. "lr_scheduler_step(opt, lr_decay=0.5, lr_decay_epoch=5)": parse the two named arguments.
        var decay = double.Parse(Argument(call, "lr_decay="), System.Globalization.CultureInfo.InvariantCulture);
        var every = int.Parse(Argument(call, "lr_decay_epoch="), System.Globalization.CultureInfo.InvariantCulture);
        return call.StartsWith("lr_scheduler_step(", StringComparison.Ordinal)
            ? new StepLRScheduler(optimizer, lrDecay: decay, lrDecayEpoch: every)
            : call.StartsWith("lr_scheduler_exp(", StringComparison.Ordinal)
                ? new ExponentialLRScheduler(optimizer, lrDecay: decay, lrDecayEpoch: every)
                : throw new InvalidOperationException($"unexpected golden call {call}");
    }

    private static string Argument(string call, string name)
    {
        var start = call.IndexOf(name, StringComparison.Ordinal) + name.Length;
        var end = call.IndexOfAny([',', ')'], start);
        return call[start..end];
    }

    [Fact]
    public void ExponentialScheduleFollowsTheCorrectlyRoundedExp()
    {
        // Python's math.exp replay of exp_lr0.1_decay0.1_every5 (glibc's exp, as Math.Exp on Linux).
        var optimizer = new AdamOptimizer(learningRate: 0.1);
        var scheduler = new ExponentialLRScheduler(optimizer, lrDecay: 0.1, lrDecayEpoch: 5);
        var messages = Enumerable.Range(0, 25).Select(e => scheduler.Step(e, 0)).OfType<string>().ToArray();
        Assert.Equal(
            new[]
            {
                "  --Decaying learning rate exponentially at epoch 5 from 0.1 to 0.06065306597126335",
                "  --Decaying learning rate exponentially at epoch 10 from 0.06065306597126335 to 0.022313016014842986",
                "  --Decaying learning rate exponentially at epoch 15 from 0.022313016014842986 to 0.004978706836786395",
                "  --Decaying learning rate exponentially at epoch 20 from 0.004978706836786395 to 0.0006737946999085468",
            },
            messages);
    }

    private static long UlpDistance(double a, double b) => Math.Abs(BitConverter.DoubleToInt64Bits(a) - BitConverter.DoubleToInt64Bits(b));

    private static void AssertBitwise(double expected, double actual, string where) =>
        Assert.True(
            BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(actual),
            $"{where}: expected {PythonFloat.Repr(expected)}, got {PythonFloat.Repr(actual)}");
}

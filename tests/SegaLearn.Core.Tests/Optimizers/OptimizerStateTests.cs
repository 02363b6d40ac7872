using SegaLearn.Compute;
using SegaLearn.Optimizers;

namespace SegaLearn.Core.Tests.Optimizers;

/// <summary>Names and state buffers that checkpoints store, how a state is restored, and the settings refused.</summary>
public sealed class OptimizerStateTests
{
    private static readonly ParameterLayout Layout = new([2, 2]);

    public static TheoryData<string, string[]> Names => new()
    {
        { "adam", ["m", "v"] },
        { "sgd", ["velocity"] },
        { "adadelta", ["squared_gradients", "squared_updates"] },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void Optimizer_should_name_itself_and_its_state_buffers_as_checkpoints_store_them(string name, string[] buffers)
    {
        var optimizer = Create(name);
        optimizer.Step(new ReferenceBackend(), Layout, new float[6], [1f, 2f, 3f, 4f, 5f, 6f]);
        Assert.Equal(name, optimizer.Name);
        Assert.Equal(buffers, optimizer.State.Select(s => s.Key));
        Assert.All(optimizer.State, s => Assert.Equal(6, s.Value.Length));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Restore_should_take_the_state_and_refuse_one_of_another_optimizer(string name, string[] buffers)
    {
        var optimizer = Create(name);
        var state = buffers.Select((b, i) => new KeyValuePair<string, float[]>(b, Enumerable.Repeat(i + 0.5f, 6).ToArray())).ToArray();
        optimizer.Restore(9, 0.125, state, 6);
        Assert.Equal((9L, 0.125), (optimizer.StepCount, optimizer.LearningRate));
        Assert.Equal(state.Select(s => s.Value), optimizer.State.Select(s => s.Value));

        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.Restore(-1, 0.125, state, 6));
        Assert.Throws<BadInputException>(() => optimizer.Restore(1, 0.125, [.. state, new("extra", new float[6])], 6));
        var renamed = state.Select(s => new KeyValuePair<string, float[]>(s.Key + "x", s.Value)).ToArray();
        Assert.Throws<BadInputException>(() => optimizer.Restore(1, 0.125, renamed, 6));
        var shorter = state.Select(s => new KeyValuePair<string, float[]>(s.Key, new float[5])).ToArray();
        Assert.Throws<BadInputException>(() => optimizer.Restore(1, 0.125, shorter, 6));
    }

    [Fact]
    public void Optimizers_should_refuse_settings_outside_their_ranges()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer(beta2: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdadeltaOptimizer(epsilon: 0));
        var optimizer = new SgdOptimizer();
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => optimizer.LearningRate = double.NaN);
        Assert.Equal(0.001, optimizer.LearningRate);
    }

    private static Optimizer Create(string name) => name switch
    {
        "adam" => new AdamOptimizer(),
        "sgd" => new SgdOptimizer(momentum: 0.9),
        _ => new AdadeltaOptimizer(),
    };
}

namespace SegaLearn.Core.Tests.Network;

/// <summary>The seed's activation names, their aliases and slopes, both ways, and which ones get He initialization.</summary>
public sealed class ActivationNameTests
{
    [Theory]
    [InlineData("relu", ActivationKind.ReLU, 0.01f)]
    [InlineData("leaky_relu", ActivationKind.LeakyReLU, 0.01f)]
    [InlineData("LeakyReLU", ActivationKind.LeakyReLU, 0.01f)]
    [InlineData("leaky-relu:0.2", ActivationKind.LeakyReLU, 0.2f)]
    [InlineData("tanh", ActivationKind.Tanh, 0.01f)]
    [InlineData(" Sigmoid ", ActivationKind.Sigmoid, 0.01f)]
    [InlineData("softmax", ActivationKind.Softmax, 0.01f)]
    [InlineData("linear", ActivationKind.Linear, 0.01f)]
    [InlineData("none", ActivationKind.Linear, 0.01f)]
    [InlineData("identity", ActivationKind.Linear, 0.01f)]
    public void TryParse_should_read_every_name_and_alias(string text, ActivationKind kind, float alpha)
    {
        Assert.True(Activation.TryParse(text, out var activation));
        Assert.Equal(new Activation(kind, alpha), activation);
    }

    [Theory]
    [InlineData("leaky_relu:abc")]
    [InlineData("leaky_relu:inf")]
    [InlineData("leaky_relu:nan")]
    [InlineData("relu:0.1")]
    [InlineData("gelu")]
    public void TryParse_should_refuse_unknown_names_and_bad_slopes(string text)
    {
        Assert.False(Activation.TryParse(text, out var activation));
        Assert.Equal(default, activation);
        Assert.Throws<BadInputException>(() => Activation.Parse(text));
    }

    [Fact]
    public void ToString_should_give_the_seed_names_with_a_slope_only_when_it_is_not_the_default()
    {
        Assert.Equal(
            ["relu", "leaky_relu", "leaky_relu:0.25", "tanh", "sigmoid", "softmax", "linear"],
            new[] { Activation.ReLU, Activation.LeakyReLU(), Activation.LeakyReLU(0.25f), Activation.Tanh, Activation.Sigmoid, Activation.Softmax, Activation.Linear }
                .Select(a => a.ToString()));
    }

    [Fact]
    public void He_initialization_should_be_for_ReLU_and_LeakyReLU_only()
    {
        Assert.True(Activation.ReLU.UsesHeInitialization);
        Assert.True(Activation.LeakyReLU().UsesHeInitialization);
        Assert.False(Activation.Tanh.UsesHeInitialization);
        Assert.False(Activation.Sigmoid.UsesHeInitialization);
        Assert.False(Activation.Linear.UsesHeInitialization);
    }
}

using MudBlazor;
using Portal.Core.Commands;

namespace Portal.Auth;

/// <summary>Runs a command as the signed-in user and tells them the outcome: a snackbar for success, warnings, refusals and failures.</summary>
public sealed class OperationRunner(CurrentActor actor, ISnackbar snackbar)
{
    /// <param name="failureInDialog">The caller shows a refusal itself (in its dialog), so only success goes to a snackbar.</param>
    public async Task<CommandResult> RunAsync<TRequest>(IVmCommand<TRequest> command, TRequest request, bool failureInDialog = false) where TRequest : IVmRequest
    {
        var result = await command.ExecuteAsync(request, await actor.GetAsync());
        if (result.Succeeded || !failureInDialog) Report(command.Operation, result);
        return result;
    }

    /// <summary>Starts a long command; its outcome is reported when it ends, even if the dialog that began it has closed.</summary>
    public async Task<StartedOperation> StartAsync<TRequest>(IVmCommand<TRequest> command, TRequest request) where TRequest : IVmRequest
    {
        var started = await command.StartAsync(request, await actor.GetAsync());
        if (started.Finished is null)
            _ = started.Completion.ContinueWith(t => Report(command.Operation, t.Result), TaskContinuationOptions.OnlyOnRanToCompletion);
        return started;
    }

    public void Report(string operation, CommandResult result)
    {
        if (result.Succeeded)
        {
            snackbar.Add(result.Message ?? $"{operation}: done.", Severity.Success);
            foreach (var w in result.WarningList) snackbar.Add(w, Severity.Warning);
        }
        else if (result.Kind == ResultKind.Failed)
        {
            snackbar.Add($"{operation}: {result.Message}", Severity.Error);
        }
        else
        {
            // Refused before anything ran (the VM changed, bad input, no permission): in the words and colour of a button
            // that refuses a click itself (ActionButton), so a raced click reads the same wherever it was made.
            snackbar.Add(Refusal.Describe(operation, result.Message ?? ""), Severity.Warning);
        }
    }
}

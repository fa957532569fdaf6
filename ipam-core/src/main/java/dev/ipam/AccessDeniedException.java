package dev.ipam;

/** The access policy refused the caller this action in this scope. Nothing was changed. */
public class AccessDeniedException extends IpamException {

    private static final long serialVersionUID = 1L;
    private final Caller caller;
    private final Action action;
    private final Scope scope;

    public AccessDeniedException(Caller caller, Action action, Scope scope) {
        super("Caller '" + caller.name() + "' may not " + action + " in scope " + scope);
        this.caller = caller;
        this.action = action;
        this.scope = scope;
    }

    public Caller caller() {
        return caller;
    }

    public Action action() {
        return action;
    }

    public Scope scope() {
        return scope;
    }
}

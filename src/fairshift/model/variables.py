"""The decision variables of the rota model, behind intent-revealing methods."""

from __future__ import annotations

from ortools.sat.python import cp_model

from ..calendar import WEEKLY_ROLES, Role, ShiftCalendar, Slot


class Variables:
    """One Boolean per (engineer, slot, role): whether this engineer holds this shift.

    Callers ask questions (:meth:`holds`, :meth:`on_call`, :meth:`holders`); the storage is
    private.
    """

    def __init__(self, model: cp_model.CpModel, calendar: ShiftCalendar) -> None:
        self.calendar = calendar
        self.handles = calendar.scenario.handles
        self._vars: dict[tuple[str, Role, int], cp_model.IntVar] = {}
        for handle in self.handles:
            for week in calendar.weeks:
                for role in WEEKLY_ROLES:
                    self._vars[handle, role, week.index] = model.new_bool_var(
                        f"{handle}:{role}:{week.id}"
                    )
            for slot in calendar.month_ends:
                self._vars[handle, Role.MONTH_END, slot.index] = model.new_bool_var(
                    f"{handle}:{Role.MONTH_END}:{slot.id}"
                )

    def holds(self, handle: str, role: Role, slot: Slot) -> cp_model.IntVar:
        """True when ``handle`` holds ``role`` in ``slot``."""
        return self._vars[handle, role, slot.index]

    def on_call(self, handle: str, week: Slot) -> cp_model.LinearExprT:
        """1 when ``handle`` holds a weekly role (primary or secondary) in ``week``."""
        return sum(self.holds(handle, role, week) for role in WEEKLY_ROLES)

    def holders(self, role: Role, slot: Slot) -> list[cp_model.IntVar]:
        """Every engineer's variable for ``role`` in ``slot``."""
        return [self.holds(handle, role, slot) for handle in self.handles]

    def slots_of(self, role: Role) -> tuple[Slot, ...]:
        """The slots that have ``role``."""
        return self.calendar.month_ends if role is Role.MONTH_END else self.calendar.weeks

    def all(self) -> list[cp_model.IntVar]:
        """Every assignment variable (for hints and solution read-out)."""
        return list(self._vars.values())

    def items(self) -> list[tuple[str, Role, Slot, cp_model.IntVar]]:
        """``(handle, role, slot, variable)`` for every assignment variable."""
        return [
            (handle, role, slot, self.holds(handle, role, slot))
            for role in Role
            for slot in self.slots_of(role)
            for handle in self.handles
        ]
